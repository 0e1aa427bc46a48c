#!/usr/bin/env bash
# The data path per core against the reference's (docs/benchmarks.md, "Real JPEGs at web sizes"): both pinned to one
# core with taskset, on the same webdataset shards, alternating, each size in turn.
#   Slip:      bench --data-only (read the shard, decode, the three SLIP views at 224 px, tokenize), DOTNET_PROCESSOR_COUNT=1
#   reference: reference/data_bench.py (PIL decode, torchvision's three views, ToTensor, Normalize), one thread
# Make the shards first (see reference/make_web_jpegs.py):
#   apt-get download plasma-workspace-wallpapers && dpkg -x plasma-workspace-wallpapers_*.deb /tmp/wallpapers
#   /usr/bin/python3 reference/make_web_jpegs.py /tmp/wallpapers/usr/share/wallpapers /tmp/webjpegs --count 256
# Usage: scripts/bench-data-path.sh [SHARDS=/tmp/webjpegs] [ROUNDS=2] [TRAINER.dll ...]
#   With more than one trainer dll (say, a build of main before a change and one after), each is measured in turn.
set -euo pipefail
cd "$(dirname "$0")/.."
shards=${1:-/tmp/webjpegs}
rounds=${2:-2}
shift $(( $# > 2 ? 2 : $# ))
trainers=("$@")
[ ${#trainers[@]} -gt 0 ] || trainers=(Slip.Training/bin/Release/net10.0/linux-x64/Slip.Training.dll)
core=${SLIP_BENCH_CORE:-0}
config=$(mktemp --suffix .json)
trap 'rm -f "$config"' EXIT
for size in 500x375 1024x768; do
  echo "{\"objective\":\"Slip\",\"model\":\"ViT-Ti/16\",\"batchSize\":32,\"dataset\":\"web\",\"data\":{\"format\":\"webdataset\",\"path\":\"$shards/$size\"}}" > "$config"
  for round in $(seq 1 "$rounds"); do
    pil=$(taskset -c "$core" /usr/bin/python3 reference/data_bench.py "$shards/$size/00000.tar" --samples 96 | grep -o "'samplesPerSecondPerCore': [0-9.]*" | grep -o '[0-9.]*$')
    echo "$size round $round reference (PIL + torchvision, 1 core): $pil samples/s"
    for trainer in "${trainers[@]}"; do
      slip=$(DOTNET_PROCESSOR_COUNT=1 taskset -c "$core" dotnet "$trainer" bench --config "$config" --data-only --steps 8 | grep -o '"samplesPerSecond": *[0-9.]*' | grep -o '[0-9.]*$')
      echo "$size round $round Slip ($trainer, 1 core): $slip samples/s"
    done
  done
done
