#!/usr/bin/env bash
# Installs, with apt-get, the Debian tools the tests make their inputs with, when any is missing: ImageMagick with
# lcms and the ICC profiles of colord-data and libgs-common (colour management tests), heif-enc
# from libheif-examples and avifenc from libavif-bin (HEIC and AVIF tests). Without them those tests skip, except
# under CI=true, where they fail; .ci/run calls this first.
set -euo pipefail
declare -A need=(
	[/usr/bin/convert]=imagemagick
	[/usr/share/color/icc/colord/sRGB.icc]=colord-data
	[/usr/share/color/icc/ghostscript/default_cmyk.icc]=libgs-common
	[/usr/bin/heif-enc]=libheif-examples
	[/usr/bin/avifenc]=libavif-bin
)
missing=()
for path in "${!need[@]}"; do
	[ -e "$path" ] || missing+=("${need[$path]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
[ "$(id -u)" = 0 ] || { echo "test-tools.sh: missing ${missing[*]}; installing needs root" >&2; exit 1; }
echo "test-tools.sh: installing ${missing[*]} with apt-get" >&2
log=$(mktemp)
if ! { DEBIAN_FRONTEND=noninteractive apt-get update &&
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
	tail -n 20 "$log" >&2
	exit 1
fi
rm -f "$log"
