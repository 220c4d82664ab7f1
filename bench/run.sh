#!/usr/bin/env bash
# Runs the Phoebe benchmarks (see bench/README.md).
#
#   bench/run.sh                     the BenchmarkDotNet suite (a few minutes); extra arguments go to
#                                    BenchmarkDotNet, e.g. --filter '*Compile*'
#   bench/run.sh --quick [options]   a Stopwatch sanity run in about 30 seconds:
#                                    --runs N --warmup N --rules 1000,10000 --seed S --emit DIR
#
# Everything is built into and written under bench/.artifacts (git-ignored), never into src/*/bin,
# so the benchmark can run while the solution is being built.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
artifacts="$here/.artifacts"

dotnet build "$here/Phoebe.Bench/Phoebe.Bench.csproj" -c Release --artifacts-path "$artifacts/build" \
  --nologo -v q -clp:NoSummary
dll="$artifacts/build/bin/Phoebe.Bench/release/Phoebe.Bench.dll"

for arg in "$@"; do
  if [ "$arg" = "--quick" ]; then
    exec dotnet "$dll" "$@"
  fi
done
exec dotnet "$dll" --artifacts "$artifacts/results" "$@"
