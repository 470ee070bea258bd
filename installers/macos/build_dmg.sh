#!/bin/sh
# Wrap TimelyGator.app (built by the PyInstaller spec) into a compressed disk image with a
# link to /Applications, so it installs by drag and drop. python installers/build.py runs:
#   installers/macos/build_dmg.sh dist/TimelyGator.app VERSION dist
# With TIMELYGATOR_CODESIGN_IDENTITY="Developer ID Application: …" the app is signed for
# notarization first (then: xcrun notarytool submit dist/TimelyGator-VERSION.dmg --wait
# and xcrun stapler staple dist/TimelyGator-VERSION.dmg); without it the app keeps
# PyInstaller's ad-hoc signature (runs on the machine that built it; others must allow it).
set -eu
app=$1
version=$2
out=$3
[ -d "$app" ] || {
  echo "No $app: build the bundle first (python installers/build.py)." >&2
  exit 1
}
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp -R "$app" "$stage/"
ln -s /Applications "$stage/Applications"
if [ -n "${TIMELYGATOR_CODESIGN_IDENTITY:-}" ]; then
  codesign --force --deep --options runtime --timestamp \
    --sign "$TIMELYGATOR_CODESIGN_IDENTITY" "$stage/TimelyGator.app"
fi
dmg="$out/TimelyGator-$version.dmg"
rm -f "$dmg"
hdiutil create -volname "TimelyGator $version" -srcfolder "$stage" -ov -format UDZO "$dmg"
echo "$dmg"
