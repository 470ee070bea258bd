#!/bin/sh
# TimelyGator from the .tar.gz, for the current user only (no root needed):
#   ./install.sh [--autostart]   copy this folder to ~/.local/opt/timelygator, link
#                                ~/.local/bin/timelygator, add the applications-menu entry
#                                (and start at login, minimized, with --autostart)
#   ./install.sh --uninstall     take all of that out again; your data stays
# Running ./timelygator from the unpacked folder works without installing, too.
# (pip users: `timelygator desktop-entry install` adds the menu entry.)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
target=${TIMELYGATOR_INSTALL_DIR:-$HOME/.local/opt/timelygator}
bin=$HOME/.local/bin

case "${1:-}" in
--uninstall)
  if [ -x "$target/timelygator" ]; then
    "$target/timelygator" desktop-entry remove --autostart
  fi
  if [ -L "$bin/timelygator" ] && [ "$(readlink "$bin/timelygator")" = "$target/timelygator" ]; then
    rm -f "$bin/timelygator"
  fi
  rm -rf "$target"
  echo "TimelyGator is uninstalled. Your data is kept ('timelygator logs' and the README say where)."
  exit 0
  ;;
--autostart | "") ;;
*)
  echo "usage: $0 [--autostart | --uninstall]" >&2
  exit 2
  ;;
esac

if [ "$here" != "$target" ]; then
  rm -rf "$target.new"
  mkdir -p "$target.new"
  cp -a "$here/timelygator" "$here/_internal" "$here/install.sh" "$target.new/"
  rm -rf "$target"
  mv "$target.new" "$target"
fi
mkdir -p "$bin"
ln -sfn "$target/timelygator" "$bin/timelygator"
"$target/timelygator" desktop-entry install ${1:+"$1"}
case ":$PATH:" in
*":$bin:"*) ;;
*) echo "Add $bin to your PATH to type 'timelygator' in a terminal." ;;
esac
