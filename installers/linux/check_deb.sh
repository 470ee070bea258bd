#!/usr/bin/env bash
# Proof that the .deb works as a user meets it (CI runs this after the test suite, as root):
#   installers/linux/check_deb.sh dist/timelygator_<version>_<arch>.deb [--compare-pip]
# 1. apt-get install ./the.deb; the files are where they belong, lintian finds no error,
#    the menu entry and AppStream data validate;
# 2. the installed command: --version, --diagnose, serve on a temporary data folder (answers
#    /api/0/info, stores a heartbeat with a token, stops cleanly), db check;
# 3. the app started under Xvfb with the menu entry's Exec line until its window appears
#    (xdotool), then quit (SIGTERM: the app's ordered shutdown); with --compare-pip the same
#    for `python3 -m timelygator` (this checkout), timed alike (TIMELYGATOR_CHECK_ROUNDS=N
#    rounds, default 1);
# 4. apt-get remove and purge: the program is gone, the data folder is byte for byte the same.
# Needs: apt-get, Xvfb, openbox, xdotool, curl, lintian, desktop-file-utils, appstream.
set -euo pipefail
deb=$(realpath "$1")
compare_pip=${2:-}
app_id=io.timelygator.TimelyGator
bin=/usr/bin/timelygator
work=$(mktemp -d /tmp/timelygator-check.XXXXXX)
export TIMELYGATOR_DATA_DIR=$work/data HOME=$work/home XDG_CONFIG_HOME=$work/home/.config \
  XDG_DATA_HOME=$work/home/.local/share
mkdir -p "$HOME"
printf 'correct horse battery staple' >"$work/passphrase"
export TIMELYGATOR_PASSPHRASE="correct horse battery staple"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  # A check that failed half-way leaves no package behind either.
  if dpkg-query -W -f='${Status}' timelygator 2>/dev/null | grep -q installed; then
    apt-get purge -y -qq timelygator >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
step() { printf '\n== %s\n' "$*"; }
fail() {
  echo "FAILED: $*" >&2
  exit 1
}
seconds() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(seconds)" 'BEGIN { printf "%.2f", b - a }'; }

step "install $(basename "$deb") ($(du -m "$deb" | cut -f1) MB)"
apt-get install -y -qq --no-install-recommends --reinstall "$deb" >/dev/null
[ "$(readlink "$bin")" = /opt/timelygator/timelygator ] || fail "$bin is not the link to /opt"
for f in /usr/share/applications/$app_id.desktop /usr/share/metainfo/$app_id.metainfo.xml \
  /usr/share/icons/hicolor/scalable/apps/$app_id.svg /usr/share/icons/hicolor/48x48/apps/$app_id.png \
  /usr/share/doc/timelygator/copyright; do
  [ -f "$f" ] || fail "$f is missing"
done
desktop-file-validate /usr/share/applications/$app_id.desktop
appstreamcli validate --no-net /usr/share/metainfo/$app_id.metainfo.xml
# lintian takes ~90 s on 2 cores: it runs beside the command-line checks below, and is
# waited for before the app is timed.
lintian --fail-on error "$deb" >"$work/lintian.txt" 2>&1 &
lintian=$!
pids+=("$lintian")

step "timelygator --version / --diagnose"
version=$("$bin" --version)
echo "$version"
dpkg-deb -f "$deb" Version | grep -qx "${version#TimelyGator }" || fail "--version says $version"
"$bin" --diagnose | tee "$work/diagnose.txt" | sed -n '1,2p'
grep -q "Installed as: Debian package (/opt/timelygator)" "$work/diagnose.txt" || fail "--diagnose"
grep -q "Menu entry: for everyone" "$work/diagnose.txt" || fail "--diagnose: no menu entry"

step "start at login from the package (a user's autostart entry), and off again"
autostart=$XDG_CONFIG_HOME/autostart/$app_id.desktop
"$bin" desktop-entry install --autostart >/dev/null
grep -qx "Exec=$bin --minimized" "$autostart" || fail "autostart: $(grep Exec "$autostart")"
desktop-file-validate "$autostart"
"$bin" desktop-entry remove --autostart >/dev/null
[ ! -e "$autostart" ] || fail "autostart entry left after turning it off"
echo "Exec=$bin --minimized, removed when turned off"

step "timelygator serve on a temporary data folder"
"$bin" db passphrase set --new-passphrase-file "$work/passphrase"
token=$("$bin" token create --scope write --name ci 2>/dev/null)
port=$((20000 + RANDOM % 20000))
"$bin" serve --port "$port" >"$work/serve.log" 2>&1 &
serve=$!
pids+=("$serve")
api=http://127.0.0.1:$port/api/0
for _ in $(seq 300); do
  if curl -sf "$api/info" >"$work/info.json"; then break; fi
  sleep 0.1
done
grep -q '"version":"v0.13.2 (TimelyGator' "$work/info.json" || fail "/api/0/info: $(cat "$work/info.json")"
auth=(-H "Authorization: Bearer $token" -H "Content-Type: application/json")
curl -sf "${auth[@]}" -d '{"client":"ci","type":"currentwindow","hostname":"ci"}' "$api/buckets/ci-window" >/dev/null
curl -sf "${auth[@]}" -d '{"timestamp":"2026-11-28T10:00:00+00:00","duration":0,"data":{"app":"editor","title":"notes.md"}}' \
  "$api/buckets/ci-window/heartbeat?pulsetime=60" >/dev/null
curl -sf "${auth[@]}" "$api/buckets/ci-window/events" | grep -q '"title":"notes.md"' || fail "heartbeat not stored"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$api/buckets/ci-window/events")" = 401 ] || fail "no token: not 401"
kill -TERM "$serve"
wait "$serve" || fail "serve exited with $?: $(cat "$work/serve.log")"
grep -q "all writes are saved" "$work/serve.log" || fail "serve did not stop cleanly: $(cat "$work/serve.log")"
echo "answered /api/0/info, stored a heartbeat, stopped cleanly"

step "timelygator db check"
"$bin" db check | tee "$work/check.txt" | grep -E "^(Integrity|  events)"
grep -qE "^  events +1$" "$work/check.txt" || fail "db check does not count the heartbeat"

step "lintian"
wait "$lintian" || {
  grep -E '^E:' "$work/lintian.txt" >&2
  fail "lintian reports errors"
}
echo "no errors ($(grep -c '^W:' "$work/lintian.txt" || true) warnings)"

step "the app from the menu entry's Exec line, under Xvfb"
display=99
while [ -e "/tmp/.X11-unix/X$display" ]; do display=$((display + 1)); done
Xvfb ":$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
pids+=("$!")
export DISPLAY=:$display
for _ in $(seq 100); do
  if xdotool getdisplaygeometry >/dev/null 2>&1; then break; fi
  sleep 0.1
done
openbox >/dev/null 2>&1 &
pids+=("$!")
exec_line=$(sed -n 's/^Exec=//p' /usr/share/applications/$app_id.desktop | sed 's/ *%[fFuUick]//g')
echo "Exec=$exec_line"

# Start a command, wait for a visible TimelyGator window, print the seconds; then quit it.
time_to_window() {
  local started app window=""
  started=$(seconds)
  sh -c "exec $1" >"$work/app.log" 2>&1 &
  app=$!
  pids+=("$app")
  for _ in $(seq 1200); do
    window=$(xdotool search --onlyvisible --name '^TimelyGator$' 2>/dev/null | head -1) || true
    [ -n "$window" ] && break
    kill -0 "$app" 2>/dev/null || fail "the app ended before its window appeared: $(cat "$work/app.log")"
    sleep 0.05
  done
  [ -n "$window" ] || fail "no TimelyGator window within 60 s: $(cat "$work/app.log")"
  elapsed "$started"
  # Opened the data folder (the title bar is there before it): wait for the open, then quit.
  for _ in $(seq 600); do
    if grep -q "watchers started" "$work/app.log"; then break; fi
    sleep 0.05
  done
  kill -TERM "$app"
  wait "$app" || fail "the app exited with $? on SIGTERM: $(cat "$work/app.log")"
}
rounds=${TIMELYGATOR_CHECK_ROUNDS:-1}
times=""
for round in $(seq "$rounds"); do
  deb_s=$(time_to_window "$exec_line -v")
  echo "installed app (round $round): window after $deb_s s, quit cleanly"
  times="$times installed=$deb_s"
  if [ "$compare_pip" = --compare-pip ]; then
    pip_s=$(time_to_window "python3 -m timelygator -v")
    echo "pip install, this checkout (round $round): window after $pip_s s, quit cleanly"
    times="$times pip=$pip_s"
  fi
done

step "remove and purge the package: the data folder stays as it was"
snapshot() { (cd "$TIMELYGATOR_DATA_DIR" && find . -path ./logs -prune -o -type f -print0 | sort -z | xargs -0 sha256sum); }
before=$(snapshot)
apt-get remove -y -qq timelygator >/dev/null
dpkg --purge timelygator >/dev/null 2>&1 # nothing is left to purge: no conffiles, no scripts
if [ -e "$bin" ] || [ -e /opt/timelygator ]; then fail "files left after purge"; fi
[ ! -e /usr/share/applications/$app_id.desktop ] || fail "menu entry left after purge"
[ "$before" = "$(snapshot)" ] || fail "the data folder changed"
echo "$(echo "$before" | wc -l) files unchanged: $(echo "$before" | awk '{print $2}' | tr '\n' ' ')"
echo
echo "check_deb: all good; start to window (s):$times"
