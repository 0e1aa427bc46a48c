#!/usr/bin/env bash
# Runs every Slip test on a Debian machine with the .NET 10 SDK:
#   installs what is missing (PostgreSQL, Chromium, jemalloc, libturbojpeg, Fashion-MNIST) with apt-get, starts a throwaway PostgreSQL on
#   127.0.0.1, builds the solution (warnings are errors), checks formatting, runs each test project in turn,
#   stops what it started and prints one plain "N passed, N failed" line. Exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")"
root=$(pwd)
results="$root/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

say() { printf '\n== %s\n' "$*"; }

if ! command -v dotnet >/dev/null; then
  echo "The .NET 10 SDK is required (dotnet was not found on PATH)." >&2
  exit 1
fi

# --- what the tests need from Debian -------------------------------------------------------------
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
missing=()
[ -n "$pgbin" ] && [ -x "$pgbin/initdb" ] || missing+=(postgresql)
[ -x "${SLIP_CHROMIUM:-/usr/bin/chromium}" ] || missing+=(chromium)
[ -e /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 ] || missing+=(libjemalloc2)   # the optional trainer allocator is tested
[ -e /usr/lib/x86_64-linux-gnu/libturbojpeg.so.0 ] || missing+=(libturbojpeg0)  # JPEG decoding as PIL does it (Skia without it)
[ -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || missing+=(dataset-fashion-mnist)   # a real image set for the data tests
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
    echo "Missing Debian packages: ${missing[*]}. Install them (apt-get install ${missing[*]}) or run as root." >&2
    exit 1
  fi
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null || {
    echo "apt-get could not install ${missing[*]}." >&2
    exit 1
  }
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi

# --- a throwaway PostgreSQL on 127.0.0.1 ---------------------------------------------------------
. scripts/throwaway-postgres.sh
start_throwaway_postgres || exit 1

# --- build, format, test -------------------------------------------------------------------------
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
say "building"
dotnet build Slip.sln -c Release -nologo -v q -clp:ErrorsOnly || { echo "0 passed, 1 failed"; exit 1; }

failed_steps=0
say "checking formatting (dotnet format --verify-no-changes)"
if ! dotnet format Slip.sln --verify-no-changes --no-restore -v q; then
  echo "Formatting differs: run 'dotnet format Slip.sln'." >&2
  failed_steps=$((failed_steps + 1))
fi

status=0
for project in tests/Slip.Training.Tests tests/Slip.Data.Tests tests/Slip.Web.Tests tests/Slip.E2E; do
  name=$(basename "$project")
  say "testing $name"
  if ! dotnet test "$project" -c Release --no-build -nologo --filter "Category!=Bench" \
      --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=minimal" --results-directory "$results"; then
    status=1
    [ -f "$results/$name.trx" ] || failed_steps=$((failed_steps + 1))
  fi
done

passed=0
failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx")
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done
failed=$((failed + failed_steps))
[ "$failed" -gt 0 ] && status=1
echo
echo "$passed passed, $failed failed"
exit $status
