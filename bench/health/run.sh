#!/usr/bin/env bash
# Start-up cost of HEALTH blocks (docs/health.md, section 7): what compiling C# health checks
# costs, cold and cached, and what `phoebe check` costs on files with and without them.
#
#   bench/health/run.sh [--runs N] [--baseline-dll PATH]
#
#   --runs N              processes per measurement (default 9); the tables show medians
#   --baseline-dll PATH   also time `phoebe check` on the rule-only file with another build's
#                         phoebe.dll (e.g. one from before health checks were compiled)
#
# Builds the CLI and bench/health/Phoebe.HealthBench in Release into bench/.artifacts/health
# (never into src/*/bin). Every measurement is a fresh process; disk caches live in temporary
# directories, never in ~/.cache. Prints two tables:
#   in-process   Phoebe.HealthBench: first compile (Roslyn cold), a second body, the in-memory
#                cache, a disk-cache hit in a new process, first and warm runs of a check
#   phoebe check wall and CPU time of `dotnet phoebe.dll check FILE` on a rule-only file, and on
#                a file with two HEALTH blocks with the disk cache off (Roslyn every time) and warm
# Needs /usr/bin/time (Debian package time), whose CPU times have a 10 ms resolution: for a
# finer before/after comparison of two builds use bench/health/compare-check.py.
set -euo pipefail
export LC_ALL=C

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
artifacts="$root/bench/.artifacts/health"

runs=9
baseline=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --baseline-dll) baseline="$2"; shift 2 ;;
    -h|--help) sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

build() {
  dotnet build "$1" -c Release --artifacts-path "$artifacts/build" --nologo -v q -clp:NoSummary >/dev/null
}
build "$here/Phoebe.HealthBench/Phoebe.HealthBench.csproj"
build "$root/src/Phoebe.Cli/Phoebe.Cli.csproj"
bench="$artifacts/build/bin/Phoebe.HealthBench/release/Phoebe.HealthBench.dll"
phoebe="$artifacts/build/bin/Phoebe.Cli/release/phoebe.dll"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) printf "%.1f", v[(NR + 1) / 2]; else printf "%.1f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# ---- in-process numbers
: >"$work/cold.tsv"
: >"$work/disk.tsv"
for i in $(seq "$runs"); do
  cache="$work/cache-$i"
  dotnet "$bench" --cache "$cache" --salt "$i-$$" >>"$work/cold.tsv"
  dotnet "$bench" --cache "$cache" --salt "$i-$$" >>"$work/disk.tsv"
done
value() { awk -F'\t' -v k="$2" '$1 == k { print $2 }' "$1" | median; }

echo "## In-process (median of $runs processes, ms)"
echo
echo "| step | no cache: Roslyn | disk cache from an earlier process |"
echo "|---|---:|---:|"
echo "| compile the first body (cold process) | $(value "$work/cold.tsv" compile-first) | $(value "$work/disk.tsv" compile-first) |"
echo "| compile a second, different body | $(value "$work/cold.tsv" compile-second) | $(value "$work/disk.tsv" compile-second) |"
echo "| compile the first body again (memory cache) | $(value "$work/cold.tsv" compile-memory) | $(value "$work/disk.tsv" compile-memory) |"
echo "| first run of a check (assembly load) | $(value "$work/cold.tsv" run-first) | $(value "$work/disk.tsv" run-first) |"
echo "| warm run of a trivial check | $(value "$work/cold.tsv" run-warm) | $(value "$work/disk.tsv" run-warm) |"
echo "| whole benchmark process, main() on | $(value "$work/cold.tsv" process-total) | $(value "$work/disk.tsv" process-total) |"
echo

# ---- phoebe check
cat >"$work/rules.phb" <<'EOF'
RULE tmp_opens_fail ON openat IF path ~ "/tmp/*" && chance(5%) DO return ENOENT
RULE writes_fail ON write EXIT IF fd > 2 DO return EIO
EOF
cat >"$work/health.phb" <<'EOF'
RULE writes_fail ON write EXIT IF fd > 2 DO return EIO
HEALTH alive { return Target.Alive; }
HEALTH redis_pings TIMEOUT 200ms { return Tcp.RoundTrip("127.0.0.1", 6379, "PING\r\n") == "+PONG"; }
EOF
# One `phoebe check`: wall and CPU (user + system) milliseconds.
measure() { # DLL FILE CACHE
  local start end
  start=$(date +%s%N)
  PHOEBE_HEALTH_CACHE="$3" /usr/bin/time -f "%U %S" -o "$work/time" dotnet "$1" check "$2" >/dev/null 2>&1 || true
  end=$(date +%s%N)
  echo "$(((end - start) / 1000000)) $(awk '{ printf "%d", ($1 + $2) * 1000 }' "$work/time")"
}
# Interleaves the configurations (A B C A B C ...) so that a change in machine load hits all
# alike; one unrecorded warm-up round first (file cache, disk cache).
declare -a labels=() dlls=() files=() caches=()
config() { labels+=("$1"); dlls+=("$2"); files+=("$3"); caches+=("$4"); }
if [ -n "$baseline" ]; then
  config "rules only, baseline build ($baseline)" "$baseline" "$work/rules.phb" off
fi
config "rules only" "$phoebe" "$work/rules.phb" off
config "2 HEALTH blocks, disk cache off (Roslyn every run)" "$phoebe" "$work/health.phb" off
config "2 HEALTH blocks, disk cache warm" "$phoebe" "$work/health.phb" "$work/check-cache"
for round in $(seq 0 "$runs"); do
  for i in "${!labels[@]}"; do
    m=$(measure "${dlls[$i]}" "${files[$i]}" "${caches[$i]}")
    if [ "$round" -gt 0 ]; then echo "$m" >>"$work/check-$i.txt"; fi
  done
done

echo "## phoebe check (median of $runs runs after one warm-up round, ms)"
echo
echo "| file | wall | CPU (user + sys) |"
echo "|---|---:|---:|"
for i in "${!labels[@]}"; do
  echo "| ${labels[$i]} | $(cut -d' ' -f1 "$work/check-$i.txt" | median) | $(cut -d' ' -f2 "$work/check-$i.txt" | median) |"
done
