#!/usr/bin/env bash
# Start-up of `phoebe run`, `attach` and `check` against strace doing the same
# (results in docs/performance.md, "Start-up").
#
#   bench/startup/run.sh [--runs N]
#
#   --runs N   measured runs of each command (default 20, after 3 unrecorded
#              warm-up runs); the commands are interleaved, run by run
#
# Measures wall clock from fork to exit with bash's EPOCHREALTIME (no
# subprocess around the measured one) for:
#   native   the Native AOT build (src/Phoebe.Cli/bin/Release/native/phoebe)
#   wrapper  ./phoebe, the checkout's wrapper (its staleness check included)
#   managed  dotnet phoebe.dll (the JIT build, what the .NET tool runs)
#   strace   strace -f with the equivalent inject (the peer), and `true` alone
# Builds both builds through ./phoebe first. Needs root for attach (ptrace of a
# process that is not a child). Writes results.tsv and summary.md to
# bench/.artifacts/startup/<date>/ and prints the summary.
set -euo pipefail
export LC_ALL=C

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
runs=20
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    -h|--help) sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
command -v strace >/dev/null || { echo "run.sh: needs strace (apt-get install strace)" >&2; exit 2; }

out="$root/bench/.artifacts/startup/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
bin="$root/src/Phoebe.Cli/bin/Release"
rules="$out/one.phb"
echo 'RULE r ON openat IF path == "/etc/hostname" DO return EACCES' >"$rules"
# Builds the managed and the native build if needed.
"$root/phoebe" check "$rules" >/dev/null
[ -x "$bin/native/phoebe" ] || { echo "run.sh: the native build is missing (see $bin/.phoebe-native-build.log)" >&2; exit 1; }
native="$bin/native/phoebe"
dll="$bin/net10.0/phoebe.dll"
export PHOEBE_MANAGED_DLL="$dll"
# A process to attach to: not a child of the measured commands.
sleep 1000000 &
target=$!
trap 'kill $target 2>/dev/null || true' EXIT

# name|command (eval'ed; stdout and stderr dropped). attach ends at once (--duration 1ms):
# what is measured is starting, seizing every thread, and detaching.
cases=(
  "true (a process)|/bin/true"
  "strace run|strace -f -qq -o /dev/null -e trace=openat -e inject=openat:error=EACCES:when=100 true"
  "native run|$native run -q -e 'RULE r ON uname DO return EPERM' -- true"
  "wrapper run|$root/phoebe run -q -e 'RULE r ON uname DO return EPERM' -- true"
  "managed run|dotnet $dll run -q -e 'RULE r ON uname DO return EPERM' -- true"
  "native attach|$native attach -q --pid $target --duration 1ms -e 'RULE r ON uname DO return EPERM'"
  "managed attach|dotnet $dll attach -q --pid $target --duration 1ms -e 'RULE r ON uname DO return EPERM'"
  "native check|$native check $rules"
  "wrapper check|$root/phoebe check $rules"
  "managed check|dotnet $dll check $rules"
)

printf 'case\trun\tms\n' >"$out/results.tsv"
for round in $(seq -3 "$runs"); do
  for c in "${cases[@]}"; do
    name="${c%%|*}" cmd="${c#*|}"
    start=$EPOCHREALTIME
    eval "$cmd" >/dev/null 2>&1 || true
    end=$EPOCHREALTIME
    [ "$round" -ge 1 ] && printf '%s\t%s\t%s\n' "$name" "$round" "$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", (e - s) * 1000 }')" >>"$out/results.tsv"
  done
done

{
  echo "# Start-up, median of $runs runs ($(date -u +%Y-%m-%d), $(uname -r), $(nproc) CPUs)"
  echo
  echo "| command | median ms | min ms | max ms | × strace |"
  echo "|---|--:|--:|--:|--:|"
  strace_median=$(awk -F'\t' '$1 == "strace run" { print $3 }' "$out/results.tsv" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
  for c in "${cases[@]}"; do
    name="${c%%|*}"
    awk -F'\t' -v n="$name" '$1 == n { print $3 }' "$out/results.tsv" | sort -n | awk -v n="$name" -v s="$strace_median" '
      { a[NR] = $1 }
      END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "| %s | %.1f | %.1f | %.1f | %.2f |\n", n, m, a[1], a[NR], m / s }'
  done
} >"$out/summary.md"
cat "$out/summary.md"
echo
echo "results: $out"
