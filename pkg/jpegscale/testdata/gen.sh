#!/usr/bin/env bash
# Regenerates the JPEG fixtures from the synthetic picture of gen/main.go.
# Needs cjpeg (Debian's libjpeg-turbo-progs) and, for the CMYK file, Pillow
# (python3-pil); run from this folder. The fixtures are committed, so tests
# never need these tools.
set -euo pipefail
cd "$(dirname "$0")"
ppm=$(mktemp --suffix=.ppm)
trap 'rm -f "$ppm"' EXIT
go run ./gen >"$ppm"
q="-quality 85 -optimize"
cjpeg $q "$ppm" >baseline-420.jpg
cjpeg $q -sample 1x1 "$ppm" >baseline-444.jpg
cjpeg $q -sample 2x1 "$ppm" >baseline-422.jpg
cjpeg $q -sample 1x2 "$ppm" >baseline-440.jpg
cjpeg $q -sample 4x1 "$ppm" >baseline-411.jpg
cjpeg $q -grayscale "$ppm" >baseline-gray.jpg
cjpeg $q -restart 1 "$ppm" >baseline-420-restart.jpg
cjpeg $q -sample 1x1 -restart 3B "$ppm" >baseline-444-restart.jpg
cjpeg $q -rgb "$ppm" >baseline-rgb.jpg
cjpeg $q -progressive "$ppm" >progressive-420.jpg
cjpeg $q -progressive -sample 1x1 -restart 2B "$ppm" >progressive-444-restart.jpg
cjpeg $q -progressive -sample 2x1 "$ppm" >progressive-422.jpg
# image/jpeg cannot decode this one; see processNonInterleaved.
cjpeg $q -progressive -restart 1B "$ppm" >progressive-420-restart.jpg
cjpeg $q -progressive -grayscale "$ppm" >progressive-gray.jpg
/usr/bin/python3 - "$ppm" <<'PY'
import sys
from PIL import Image
Image.open(sys.argv[1]).convert("CMYK").save("baseline-cmyk.jpg", quality=85)
PY
