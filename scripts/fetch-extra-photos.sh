#!/bin/sh
# Extra clean photographs for training the shipped models (training only; never committed):
# nature photographs from two Debian wallpaper packages. Needs apt-get (Debian's package archive);
# nothing else is downloaded.
#   mate-backgrounds (GPL-2+, per its copyright file): backgrounds/mate/nature/*.jpg
#   plasma-workspace-wallpapers (GPL-2+, per its copyright file): the photographs, largest size
# Usage: scripts/fetch-extra-photos.sh DIR
set -eu
out=${1:?usage: $0 DIR}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download mate-backgrounds plasma-workspace-wallpapers >/dev/null)
for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/x"; done
cp "$work"/x/usr/share/backgrounds/mate/nature/*.jpg "$out"/
for name in Altai Autumn BytheWater Canopee Cascade ColorfulCups DarkestHour EveningGlow FallenLeaf \
  Grey Kokkini MilkyWay OneStandsOut Path summer_1am; do
  src=$(ls -S "$work/x/usr/share/wallpapers/$name/contents/images/"* | head -n 1)
  cp "$src" "$out/plasma_$name.${src##*.}"
done
ls "$out" | wc -l
