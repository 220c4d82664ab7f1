#!/usr/bin/env bash
# Monitoring overhead of `phoebe observe` (eBPF) against native and against a bpftrace
# one-liner counting the same thing (see bench/monitoring/README.md; results in
# docs/performance.md, "eBPF monitoring").
#
#   bench/monitoring/run.sh [--runs N] [--only LIST] [--requests N] [--phoebe-dll PATH]
#
#   --runs N          measured rounds (default 7); every round runs each configuration
#                     of a benchmark once, in a fixed order (A B C A B C ...), after one
#                     unrecorded warm-up round
#   --only LIST       comma-separated subset of: dd,redis
#   --requests N      redis-benchmark -n (default 200000)
#   --phoebe-dll PATH use this phoebe.dll instead of building the CLI
#
# Installs (apt-get, only what is missing): bpftrace (the peer), redis-server and
# redis-tools. Needs root (eBPF) and taskset. Builds the CLI in Release into
# bench/.artifacts/monitoring/build (never into src/*/bin). Starts its own redis-server
# on 127.0.0.1 with a temporary directory and config (never the system service).
# Writes results.tsv, machine.md and summary.md to bench/.artifacts/monitoring/<date>/.
set -euo pipefail
export LC_ALL=C

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
artifacts="$root/bench/.artifacts/monitoring"

runs=7
only="dd,redis"
requests=200000
dll=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --requests) requests="$2"; shift 2 ;;
    --phoebe-dll) dll="$2"; shift 2 ;;
    -h|--help) sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
wants() { [[ ",$only," == *",$1,"* ]]; }
[ "$(id -u)" -eq 0 ] || { echo "run.sh: eBPF needs root" >&2; exit 2; }

# ---- what the benchmark needs ----------------------------------------------------------------
missing=()
command -v bpftrace >/dev/null 2>&1 || missing+=(bpftrace)
if wants redis; then
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v redis-benchmark >/dev/null 2>&1 || missing+=(redis-tools)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing with apt-get: ${missing[*]}" >&2
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
fi

mkdir -p "$artifacts"
given_dll="$dll"
if [ -z "$dll" ]; then
  echo "building the CLI (Release) into bench/.artifacts/monitoring/build ..." >&2
  dotnet build "$root/src/Phoebe.Cli/Phoebe.Cli.csproj" -c Release --artifacts-path "$artifacts/build" \
    --nologo -v q -clp:NoSummary >&2
  dll="$artifacts/build/bin/Phoebe.Cli/release/phoebe.dll"
fi
[ -f "$dll" ] || { echo "run.sh: no phoebe.dll at $dll" >&2; exit 2; }
PHOEBE=(dotnet "$dll")

out="$artifacts/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
work="$(mktemp -d)"
tsv="$out/results.tsv"
printf 'bench\tconfig\tround\tvalue\textra\n' >"$tsv"   # dd: own s, wall s; redis: SET rps, GET rps

pids=()   # background processes of this script, killed by pid on exit
cleanup() { local p; for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# The bpftrace peer: per (syscall, errno) counts and a latency histogram for one pid only.
BT_COUNT='tracepoint:raw_syscalls:sys_enter /pid == $1/ { @s[tid] = nsecs; }
tracepoint:raw_syscalls:sys_exit /pid == $1 && @s[tid]/ { @c[args->id, args->ret < 0 ? -args->ret : 0] = count(); @l = hist(nsecs - @s[tid]); delete(@s[tid]); }'
# The floor of any monitor on these tracepoints: both programs run, test the pid, do nothing.
BT_FILTER='tracepoint:raw_syscalls:sys_enter /pid == $1/ { } tracepoint:raw_syscalls:sys_exit /pid == $1/ { }'

fail() { echo "run.sh: $*" >&2; for f in "$work"/*.err "$work"/*.out; do [ -s "$f" ] && { echo "  $f:"; sed 's/^/  | /' "$f"; }; done >&2; exit 1; }

# start_monitor CONFIG PID: starts the monitor in the background (sets MON) and waits until attached.
start_monitor() {
  local i
  : >"$work/mon.out"; : >"$work/mon.err"
  case "$1" in
    phoebe) "${PHOEBE[@]}" observe -q --interval 1s -o "$work/profile.yaml" --pid "$2" >"$work/mon.out" 2>"$work/mon.err" & ;;
    bpftrace) bpftrace -e "$BT_COUNT" "$2" >"$work/mon.out" 2>"$work/mon.err" & ;;
    bpftrace-filter) bpftrace -e "$BT_FILTER" "$2" >"$work/mon.out" 2>"$work/mon.err" & ;;
    *) fail "no monitor $1" ;;
  esac
  MON=$!; pids+=("$MON")
  for i in $(seq 400); do   # up to 20 s
    kill -0 "$MON" 2>/dev/null || fail "$1 exited before attaching"
    case "$1" in
      phoebe) [ "$(ls -l "/proc/$MON/fd" 2>/dev/null | grep -c 'bpf_link')" -ge 4 ] && break ;;
      *) grep -q '^Attaching' "$work/mon.out" && break ;;
    esac
    sleep 0.05
  done
  [ "$i" -lt 400 ] || fail "$1 did not attach in 20 s"
  sleep 0.3   # phoebe adds the pid to its map right after attaching; bpftrace prints before its last setup
}
# stop_monitor CONFIG: stops it (phoebe stops by itself when its target exits) and checks its exit.
stop_monitor() {
  local rc=0
  case "$1" in
    # Its target has exited: give it 5 s to notice and write the profile, so that SIGTERM
    # cannot land while it is already shutting down (after its handler is gone).
    phoebe) for _ in $(seq 100); do kill -0 "$MON" 2>/dev/null || break; sleep 0.05; done
            kill -0 "$MON" 2>/dev/null && kill -TERM "$MON" 2>/dev/null ;;
    *) kill -INT "$MON" 2>/dev/null || fail "$1 had exited before the end of the run" ;;
  esac
  wait "$MON" || rc=$?
  [ "$rc" -eq 0 ] || fail "$1 exited with $rc"
}
# calls_of SYSCALL ERRNO: what the monitor counted (phoebe: the profile's calls; bpftrace: @c)
calls_of() {
  case "$1" in
    phoebe) awk -v n="$2" '$1 == "-" && $2 == "name:" { cur = $3 } cur == n && $1 == "calls:" { print $2; exit }' "$work/profile.yaml" ;;
    bpftrace) sed -n "s/^@c\[$3, 0\]: \([0-9]*\)$/\1/p" "$work/mon.out" ;;
  esac
}

# ---- dd --------------------------------------------------------------------------------------
DD=(dd if=/dev/zero of=/dev/null bs=1 count=2000000)   # 2M reads + 2M writes
configs_dd=(native phoebe bpftrace bpftrace-filter)
dd_one() { # CONFIG ROUND
  local s own t0 t1 n
  rm -f "$work/go"; mkfifo "$work/go"
  # dd waits on the fifo, so monitors attach to its pid before it starts; exec keeps the pid.
  sh -c 'read x < "$1"; shift; exec "$@"' sh "$work/go" "${DD[@]}" >/dev/null 2>"$work/dd.err" &
  s=$!; pids+=("$s")
  [ "$1" = native ] || start_monitor "$1" "$s"
  t0=$EPOCHREALTIME
  echo go >"$work/go"
  wait "$s" || fail "dd/$1: dd exited with $?"
  t1=$EPOCHREALTIME
  [ "$1" = native ] || stop_monitor "$1"
  grep -q '^2000000+0 records out' "$work/dd.err" || fail "dd/$1: dd did not copy everything"
  own=$(sed -n 's/.* copied, \([0-9.e+-]*\) s,.*/\1/p' "$work/dd.err")
  [ -n "$own" ] || fail "dd/$1: no time from dd"
  case "$1" in
    phoebe|bpftrace)   # the monitor must have seen the copy loop: 2M reads (nr 0) and writes (nr 1)
      for sc in "read 0" "write 1"; do
        set -- "$1" "$2" $sc
        n=$(calls_of "$1" "$3" "$4"); [ "${n:-0}" -ge 2000000 ] || fail "dd/$1: counted ${n:-no} $3 calls, not 2000000"
      done ;;
  esac
  [ "$2" -eq 0 ] && return 0
  printf 'dd\t%s\t%s\t%s\t%s\n' "$1" "$2" "$own" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')" >>"$tsv"
}

# ---- redis -------------------------------------------------------------------------------------
configs_redis=(none phoebe bpftrace)
redis_port=16399
server_cpu=$(( $(nproc) - 1 )); client_cpu=0
redis_start() {
  mkdir -p "$work/redis"
  printf 'bind 127.0.0.1\nport %s\nprotected-mode yes\ndir %s\nsave ""\nappendonly no\ndaemonize no\nlogfile %s\n' \
    "$redis_port" "$work/redis" "$work/redis/redis.log" >"$work/redis/redis.conf"
  taskset -c "$server_cpu" redis-server "$work/redis/redis.conf" &
  REDIS=$!; pids+=("$REDIS")
  for i in $(seq 100); do redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null | grep -q PONG && return 0; sleep 0.1; done
  fail "redis-server did not answer on 127.0.0.1:$redis_port"
}
redis_one() { # CONFIG ROUND
  local set get n
  [ "$1" = none ] || start_monitor "$1" "$REDIS"
  taskset -c "$client_cpu" redis-benchmark -h 127.0.0.1 -p "$redis_port" -q -n "$requests" -t set,get -P 1 \
    >"$work/bench.out" 2>"$work/bench.err" || fail "redis/$1: redis-benchmark failed"
  kill -0 "$REDIS" 2>/dev/null || fail "redis/$1: redis-server died"
  [ "$1" = none ] || stop_monitor "$1"
  set=$(tr '\r' '\n' <"$work/bench.out" | sed -n 's/^SET: \([0-9.]*\) requests per second.*/\1/p')
  get=$(tr '\r' '\n' <"$work/bench.out" | sed -n 's/^GET: \([0-9.]*\) requests per second.*/\1/p')
  [ -n "$set" ] && [ -n "$get" ] || fail "redis/$1: no throughput in redis-benchmark's output"
  case "$1" in   # every request is at least one read (nr 0) by the server
    phoebe|bpftrace)
      n=$(calls_of "$1" read 0); [ "${n:-0}" -ge $((2 * requests)) ] || fail "redis/$1: counted ${n:-no} reads for $((2 * requests)) requests" ;;
  esac
  [ "$2" -eq 0 ] && return 0
  printf 'redis\t%s\t%s\t%s\t%s\n' "$1" "$2" "$set" "$get" >>"$tsv"
}

run_bench() { # BENCH
  local bench="$1" round config
  local -n configs="configs_$bench"
  echo "== $bench: ${configs[*]}, 1 warm-up + $runs rounds" >&2
  for round in $(seq 0 "$runs"); do
    for config in "${configs[@]}"; do "${bench}_one" "$config" "$round"; done
    printf '   round %s/%s done\n' "$round" "$runs" >&2
  done
}

{
  echo "# Monitoring overhead, $runs rounds"; echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
  if [ -n "$given_dll" ]; then echo "- phoebe: given with --phoebe-dll"
  else echo "- commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet HEAD -- src native 2>/dev/null || echo ' (src/ or native/ modified)')"; fi
  echo "- CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) CPUs (nproc)"
  echo "- kernel: $(uname -r)"
  echo "- dotnet: $(dotnet --version)"
  echo "- bpftrace: $(bpftrace --version)"
  wants redis && echo "- redis: $(redis-server --version)"
  echo "- load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$out/machine.md"
if wants dd; then run_bench dd; fi
if wants redis; then redis_start; run_bench redis; fi
echo "- load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/machine.md"

# ---- summary -------------------------------------------------------------------------------------
stats() { # BENCH CONFIG COLUMN -> "median min max"
  awk -F'\t' -v b="$1" -v c="$2" -v col="$3" '$1 == b && $2 == c { print $col }' "$tsv" | sort -g |
    awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.6f %.6f %.6f\n", m, v[1], v[NR] }'
}
median() { stats "$@" | cut -d' ' -f1; }
round_ratios() { # BENCH A B COLUMN -> "median (min–max)" of A/B within rounds
  awk -F'\t' -v b="$1" -v x="$2" -v y="$3" -v col="$4" '$1 == b && $2 == x { a[$3] = $col } $1 == b && $2 == y { c[$3] = $col }
    END { for (r in a) if (r in c) print a[r] / c[r] }' "$tsv" | sort -g |
    awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.3f (%.3f–%.3f)\n", m, v[1], v[NR] }'
}
{
  if wants dd; then
    echo "## dd: ${DD[*]} (4M syscalls), dd's own time"; echo
    nat=$(median dd native 4)
    echo "| configuration | median ms | min ms | max ms | × native | ns per syscall over native |"
    echo "|---|--:|--:|--:|--:|--:|"
    for c in "${configs_dd[@]}"; do
      read -r med min max <<<"$(stats dd "$c" 4)"
      awk -v c="$c" -v m="$med" -v a="$min" -v b="$max" -v n="$nat" 'BEGIN { printf "| %s | %.0f | %.0f | %.0f | %.2f | %.0f |\n", c, m*1000, a*1000, b*1000, m/n, (m-n)/4e6*1e9 }'
    done
    echo
    echo "Ratios within each round, median (min–max):"; echo
    for pair in "phoebe native" "bpftrace native" "bpftrace-filter native" "phoebe bpftrace" "phoebe bpftrace-filter"; do
      read -r a b <<<"$pair"; echo "- $a / $b: $(round_ratios dd "$a" "$b" 4)"
    done
    echo
  fi
  if wants redis; then
    echo "## redis: redis-benchmark -q -n $requests -t set,get -P 1 (50 clients), requests per second"; echo
    echo "| configuration | SET median | min | max | × none | GET median | min | max | × none |"
    echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|"
    for c in "${configs_redis[@]}"; do
      read -r sm sa sb <<<"$(stats redis "$c" 4)"; read -r gm ga gb <<<"$(stats redis "$c" 5)"
      awk -v c="$c" -v sm="$sm" -v sa="$sa" -v sb="$sb" -v gm="$gm" -v ga="$ga" -v gb="$gb" -v sn="$(median redis none 4)" -v gn="$(median redis none 5)" \
        'BEGIN { printf "| %s | %.0f | %.0f | %.0f | %.3f | %.0f | %.0f | %.0f | %.3f |\n", c, sm, sa, sb, sm/sn, gm, ga, gb, gm/gn }'
    done
    echo
    echo "Throughput ratios within each round, median (min–max):"; echo
    for c in phoebe bpftrace; do
      echo "- $c / none: SET $(round_ratios redis "$c" none 4), GET $(round_ratios redis "$c" none 5)"
    done
    echo
  fi
} >"$out/summary.md"
cat "$out/summary.md"
echo "(raw: $out)" >&2
