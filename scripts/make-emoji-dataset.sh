#!/usr/bin/env bash
# Builds the emoji image-text set (real artwork from four emoji vendors, real CLDR captions, 28 classes, concept-disjoint
# train / val / test) that issue 17 compares CLIP and SLIP on; see reference/make_emoji_dataset.py for what it writes.
#   scripts/make-emoji-dataset.sh CACHE OUT [--vendors google,twitter,openmoji,fluent3d] [--skin-tones none|one|all]
#                                 [--size 64] [--captions-per-image 1] [--seed 0] [--val 0.15] [--test 0.15]
#                                 [--register URL]
# With --register, the set is then registered as the dataset "emoji" (captions from train.csv; val/ and test/ as its
# validation and test splits) on the Slip dashboard at URL, with the API key in $SLIP_API_KEY.
# CACHE keeps the npm tarballs (about 170 MB for the default vendors; `npm pack` fetches what is missing), OUT gets
# the data set (about 40 MB at 64 px). Needs npm, Debian's python3-pil and, for OpenMoji's SVGs, librsvg2-2; as root it
# installs the Debian packages that are missing.
set -euo pipefail
if [ $# -lt 2 ]; then
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
cd "$(dirname "$0")/.."
command -v npm >/dev/null || { echo "npm is required (apt-get install npm)." >&2; exit 1; }
missing=()
/usr/bin/python3 -c 'from PIL import features; assert features.check("webp")' 2>/dev/null || missing+=(python3-pil)
[ -e /usr/lib/x86_64-linux-gnu/librsvg-2.so.2 ] || ldconfig -p | grep -q 'librsvg-2.so.2 ' || missing+=(librsvg2-2)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
    echo "Missing Debian packages: ${missing[*]}. Install them (apt-get install ${missing[*]}) or run as root." >&2
    exit 1
  fi
  echo "installing ${missing[*]}" >&2
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
cache=$(realpath -m "$1") out=$(realpath -m "$2")
shift 2
register="" args=()
while [ $# -gt 0 ]; do
  if [ "$1" = "--register" ]; then register=${2:?--register needs the dashboard URL}; shift 2; else args+=("$1"); shift; fi
done
if [ -n "$register" ] && [ -z "${SLIP_API_KEY:-}" ]; then
  echo "--register needs an API key with the operate role in SLIP_API_KEY (Account and API keys on the dashboard)." >&2
  exit 2
fi
/usr/bin/python3 reference/make_emoji_dataset.py "$cache" "$out" "${args[@]}"
if [ -n "$register" ]; then
  echo "registering $out as the dataset 'emoji' on $register" >&2
  curl -sS --fail-with-body -X POST "${register%/}/api/datasets" -H "Authorization: Bearer $SLIP_API_KEY" \
    -H "Content-Type: application/json" --data @"$out/dataset.json"
  echo
fi
