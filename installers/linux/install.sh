#!/usr/bin/env sh
# Install the start-menu entry, icon and AppStream data for the current user.
#   installers/linux/install.sh [--autostart]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
install -Dm644 "$here/io.timelygator.TimelyGator.desktop" "$data/applications/io.timelygator.TimelyGator.desktop"
install -Dm644 "$here/io.timelygator.TimelyGator.metainfo.xml" "$data/metainfo/io.timelygator.TimelyGator.metainfo.xml"
install -Dm644 "$here/../../resources/icons/timelygator.svg" "$data/icons/hicolor/scalable/apps/io.timelygator.TimelyGator.svg"
if [ "${1:-}" = "--autostart" ]; then
  install -Dm644 "$here/io.timelygator.TimelyGator-autostart.desktop" "${XDG_CONFIG_HOME:-$HOME/.config}/autostart/io.timelygator.TimelyGator.desktop"
fi
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$data/applications" || true
echo "TimelyGator is in your applications menu."
