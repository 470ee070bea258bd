#!/usr/bin/env sh
# Build dist/TimelyGator.app with PyInstaller and wrap it in a compressed disk image.
#   installers/macos/build_dmg.sh   (on macOS, with pip install -e ".[dev]")
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
pyinstaller --noconfirm installers/timelygator.spec
version=$(python3 -c "import timelygator.core as c; print(c.__version__)")
rm -f "dist/TimelyGator-$version.dmg"
hdiutil create -volname TimelyGator -srcfolder dist/TimelyGator.app -ov -format UDZO "dist/TimelyGator-$version.dmg"
echo "dist/TimelyGator-$version.dmg"
