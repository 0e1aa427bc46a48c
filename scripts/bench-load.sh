#!/usr/bin/env bash
# The dashboard load benchmark (docs/benchmarks.md, "Live dashboard under load"): 4 runs x 10 metrics x 20 steps/s
# for SECONDS (default 60), watched by SESSIONS (default 50) Chromium sessions, on a throwaway PostgreSQL, loopback only.
#   scripts/bench-load.sh [SECONDS] [SESSIONS]     (after ./test.sh has installed PostgreSQL and Chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/throwaway-postgres.sh
start_throwaway_postgres
mkdir -p artifacts/bench
export SLIP_BENCH_SECONDS=${1:-60} SLIP_BENCH_SESSIONS=${2:-50} SLIP_BENCH_OUT=$PWD/artifacts/bench/load.json
dotnet build tests/Slip.E2E -c Release -nologo -v q -clp:ErrorsOnly
dotnet test tests/Slip.E2E -c Release --no-build -nologo --filter "Category=Bench" --logger "console;verbosity=detailed" | grep -v '^\s*$' | tail -n 30
cat "$SLIP_BENCH_OUT"
