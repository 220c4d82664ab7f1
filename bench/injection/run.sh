#!/usr/bin/env bash
# Injection overhead of `phoebe run` against native and against strace --seccomp-bpf
# (see bench/injection/README.md; results in docs/performance.md, "Injection overhead").
#
#   bench/injection/run.sh [--runs N] [--only LIST] [--openat-calls N] [--phoebe-dll PATH]
#   bench/injection/run.sh --summarize DIR    rewrite DIR/summary.md from DIR/results.tsv
#
#   --runs N          measured rounds (default 7); every round runs each configuration
#                     of a benchmark once, in a fixed order (A B C A B C ...), after one
#                     unrecorded warm-up round
#   --only LIST       comma-separated subset of: untargeted,startup,targeted,targeted-1cpu,targeted-2cpu,kernel
#   --openat-calls N  calls made by the in-kernel benchmark's loop (default 200000;
#                     strace stops twice on each: 4-25 s per run on the reference machine)
#   --phoebe-dll PATH use this phoebe.dll instead of building the CLI
#   --summarize DIR   measure nothing: summarize an earlier run's directory again
#
# Installs (apt-get, only what is missing): strace (the peer), gcc and libc6-dev (the
# static libc for bench/injection/openloop.c). Builds the CLI in Release into
# bench/.artifacts/injection/build (never into src/*/bin). Writes the raw
# measurements (results.tsv) and a Markdown summary (summary.md) to
# bench/.artifacts/injection/<date>/ and prints the summary.
set -euo pipefail
export LC_ALL=C   # dd's "copied, X s" and $EPOCHREALTIME with a decimal point

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
artifacts="$root/bench/.artifacts/injection"

runs=7
only="untargeted,startup,targeted,targeted-1cpu,targeted-2cpu,kernel"
openat_calls=200000
dll=""
summarize=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --openat-calls) openat_calls="$2"; shift 2 ;;
    --phoebe-dll) dll="$2"; shift 2 ;;
    --summarize) summarize="$2"; shift 2 ;;
    -h|--help) sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
wants() { [[ ",$only," == *",$1,"* ]]; }

pin_cpu=$(( $(nproc) - 1 ))   # targeted-1cpu runs tracer and tracee on this CPU only;
other_cpu=0                   # targeted-2cpu runs the tracer here and the tracee on pin_cpu
STRACE=/usr/bin/strace

if [ -n "$summarize" ]; then
  out="$(cd "$summarize" && pwd)"
  tsv="$out/results.tsv"
  [ -f "$tsv" ] && [ -f "$out/params" ] || { echo "run.sh: no results.tsv and params in $summarize" >&2; exit 2; }
  # shellcheck source=/dev/null
  . "$out/params"
else

# ---- what the benchmark needs ----------------------------------------------------------------
sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
missing=()
[ -x /usr/bin/strace ] || missing+=(strace)
command -v cc >/dev/null 2>&1 || missing+=(gcc)
[ -f "/usr/lib/$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)/libc.a" ] || missing+=(libc6-dev)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing with apt-get: ${missing[*]}" >&2
  sudo_if_needed apt-get update -q >/dev/null
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
fi

mkdir -p "$artifacts"
given_dll="$dll"
if [ -z "$dll" ]; then
  echo "building the CLI (Release) into bench/.artifacts/injection/build ..." >&2
  dotnet build "$root/src/Phoebe.Cli/Phoebe.Cli.csproj" -c Release --artifacts-path "$artifacts/build" \
    --nologo -v q -clp:NoSummary >&2
  dll="$artifacts/build/bin/Phoebe.Cli/release/phoebe.dll"
fi
[ -f "$dll" ] || { echo "run.sh: no phoebe.dll at $dll" >&2; exit 2; }
PHOEBE=(dotnet "$dll")
openloop="$artifacts/openloop"
cc -O2 -Wall -Wextra -static -o "$openloop" "$here/openloop.c"
seccomp_only="$artifacts/seccomp-only"
cc -O2 -Wall -Wextra -o "$seccomp_only" "$here/seccomp-only.c"
if [ "$pin_cpu" -eq 0 ] && wants targeted-2cpu; then
  echo "run.sh: one CPU only: skipping targeted-2cpu" >&2
  only="${only//targeted-2cpu/}"
fi

out="$artifacts/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
tsv="$out/results.tsv"
printf 'bench\tconfig\tround\town_s\twall_s\n' >"$tsv"
errfile="$out/stderr.tmp"
printf 'runs=%s\nonly=%s\nopenat_calls=%s\npin_cpu=%s\nother_cpu=%s\n' "$runs" "$only" "$openat_calls" "$pin_cpu" "$other_cpu" >"$out/params"
fi  # not --summarize

# ---- the configurations ------------------------------------------------------------------------
# Every command's stdout goes to /dev/null; its stderr is kept to read the target's own timing.
DD_UNTARGETED=(dd if=/dev/zero of=/dev/null bs=1 count=2000000)   # 2M reads + 2M writes
DD_TARGETED=(dd if=/dev/zero of=/dev/null bs=1 count=20000)       # 20k reads + 20k writes
UNTARGETED_RULE='RULE r ON openat IF path ~ "/nonexistent*" DO return ENOENT'
# An ENTRY rule whose condition only user space can decide (a seccomp filter cannot see the pid):
# every read goes to user space (seccomp user notification; one ptrace stop with --ptrace-only).
ENTRY_RULE='RULE r ON read IF pid == 1 DO return EIO'
# The same with an argument test: `argN == constant` ENTRY rules are decided in the seccomp filter
# (seccomp-errno backend) since commit fb258eb; in older builds every read stops here too.
ENTRY_ARG_RULE='RULE r ON read IF arg2 == 12345 DO return EIO'
EXIT_RULE='RULE r ON read EXIT IF retval == 12345 DO return EIO'
KERNEL_RULE='RULE r ON openat DO return ENOENT'
# strace counts `when` per syscall and accepts at most 65535: the injection never fires.
STRACE_OPENAT=("$STRACE" -f --seccomp-bpf -qq -o /dev/null -e trace=openat -e inject=openat:error=ENOENT:when=65535)
STRACE_READ=("$STRACE" -f --seccomp-bpf -qq -o /dev/null -e trace=read -e inject=read:error=EIO:when=65535)
STRACE_KERNEL=("$STRACE" -f --seccomp-bpf -qq -o /dev/null -e trace=openat -e inject=openat:error=ENOENT)

configs_untargeted=(native seccomp-only phoebe strace)
configs_startup=(native phoebe strace)
configs_targeted=(native phoebe-entry phoebe-entry-ptrace phoebe-entry-arg phoebe-exit strace)
# phoebe-entry-ptrace: the ENTRY rule forced onto ptrace stops (`run --ptrace-only`, where the build has it)
if [ -z "$summarize" ] && ! "${PHOEBE[@]}" run --help 2>/dev/null | grep -q -- --ptrace-only; then
  echo "run.sh: this phoebe has no run --ptrace-only: no phoebe-entry-ptrace configuration" >&2
  configs_targeted=(native phoebe-entry phoebe-entry-arg phoebe-exit strace)
fi
if [ -n "$summarize" ]; then
  configs_targeted=()
  for c in native phoebe-entry phoebe-entry-ptrace phoebe-entry-arg phoebe-exit strace; do
    awk -F'\t' -v c="$c" '$1 == "targeted" && $2 == c { found = 1 } END { exit !found }' "$tsv" && configs_targeted+=("$c")
  done
fi
configs_targeted_1cpu=("${configs_targeted[@]}")
configs_targeted_2cpu=("${configs_targeted[@]}")
configs_kernel=(native phoebe strace)

command_for() { # BENCH CONFIG -> sets CMD
  case "$1/$2" in
    untargeted/native) CMD=("${DD_UNTARGETED[@]}") ;;
    untargeted/seccomp-only) CMD=("$seccomp_only" "${DD_UNTARGETED[@]}") ;;
    untargeted/phoebe) CMD=("${PHOEBE[@]}" run -q -e "$UNTARGETED_RULE" -- "${DD_UNTARGETED[@]}") ;;
    untargeted/strace) CMD=("${STRACE_OPENAT[@]}" "${DD_UNTARGETED[@]}") ;;
    startup/native) CMD=(true) ;;
    startup/phoebe) CMD=("${PHOEBE[@]}" run -q -e "$UNTARGETED_RULE" -- true) ;;
    startup/strace) CMD=("${STRACE_OPENAT[@]}" true) ;;
    targeted/native) CMD=("${DD_TARGETED[@]}") ;;
    targeted/phoebe-entry) CMD=("${PHOEBE[@]}" run -q -e "$ENTRY_RULE" -- "${DD_TARGETED[@]}") ;;
    targeted/phoebe-entry-ptrace) CMD=("${PHOEBE[@]}" run -q --ptrace-only -e "$ENTRY_RULE" -- "${DD_TARGETED[@]}") ;;
    targeted/phoebe-entry-arg) CMD=("${PHOEBE[@]}" run -q -e "$ENTRY_ARG_RULE" -- "${DD_TARGETED[@]}") ;;
    targeted/phoebe-exit) CMD=("${PHOEBE[@]}" run -q -e "$EXIT_RULE" -- "${DD_TARGETED[@]}") ;;
    targeted/strace) CMD=("${STRACE_READ[@]}" "${DD_TARGETED[@]}") ;;
    targeted-1cpu/*) command_for targeted "$2"; CMD=(taskset -c "$pin_cpu" "${CMD[@]}") ;;
    targeted-2cpu/*)
      local dd=("${DD_TARGETED[@]}")
      DD_TARGETED=(taskset -c "$pin_cpu" "${dd[@]}")
      command_for targeted "$2"
      DD_TARGETED=("${dd[@]}")
      CMD=(taskset -c "$other_cpu" "${CMD[@]}") ;;
    kernel/native) CMD=("$openloop" "$openat_calls") ;;
    kernel/phoebe) CMD=("${PHOEBE[@]}" run -q -e "$KERNEL_RULE" -- "$openloop" "$openat_calls") ;;
    kernel/strace) CMD=("${STRACE_KERNEL[@]}" "$openloop" "$openat_calls") ;;
    *) echo "run.sh: no configuration $1/$2" >&2; exit 2 ;;
  esac
}

# The target's own time from its stderr, after checking that it did all its work.
own_time() { # BENCH -> prints seconds, or fails
  case "$1" in
    untargeted) grep -q '^2000000+0 records out' "$errfile" && sed -n 's/.* copied, \([0-9.e+-]*\) s,.*/\1/p' "$errfile" ;;
    targeted*) grep -q '^20000+0 records out' "$errfile" && sed -n 's/.* copied, \([0-9.e+-]*\) s,.*/\1/p' "$errfile" ;;
    kernel) grep -q "^openloop: $openat_calls openat calls, $openat_calls ENOENT, " "$errfile" \
              && sed -n 's/^openloop: .* ENOENT, \([0-9.]*\) s$/\1/p' "$errfile" ;;
    startup) echo 0 ;;
  esac
}

run_one() { # BENCH CONFIG ROUND (0 = warm-up, not recorded)
  command_for "$1" "$2"
  local t0 t1 rc=0 own
  t0=$EPOCHREALTIME
  "${CMD[@]}" >/dev/null 2>"$errfile" || rc=$?
  t1=$EPOCHREALTIME
  own="$(own_time "$1" || true)"
  if [ "$rc" -ne 0 ] || [ -z "$own" ]; then
    echo "run.sh: $1/$2 failed (exit $rc): ${CMD[*]}" >&2
    sed 's/^/  | /' "$errfile" >&2
    exit 1
  fi
  [ "$3" -eq 0 ] && return 0
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$own" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')" >>"$tsv"
}

run_bench() { # BENCH
  local bench="$1" round config
  local -n configs="configs_${bench//-/_}"
  echo "== $bench: ${configs[*]}, 1 warm-up + $runs rounds" >&2
  for round in $(seq 0 "$runs"); do
    for config in "${configs[@]}"; do run_one "$bench" "$config" "$round"; done
    printf '   round %s/%s done\n' "$round" "$runs" >&2
  done
}

machine() {
  echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
  if [ -n "$given_dll" ]; then
    echo "- phoebe: $dll (given with --phoebe-dll)"
  else
    echo "- commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet HEAD -- src native 2>/dev/null || echo ' (src/ or native/ modified)')"
  fi
  echo "- CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) CPUs (nproc)"
  echo "- kernel: $(uname -r)"
  echo "- dotnet: $(dotnet --version)"
  echo "- strace: $("$STRACE" -V | head -1)"
  echo "- load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
}

if [ -z "$summarize" ]; then
  { echo "# Injection overhead, $runs rounds"; echo; machine; } >"$out/machine.md"
  for bench in untargeted startup targeted targeted-1cpu targeted-2cpu kernel; do
    if wants "$bench"; then run_bench "$bench"; fi
  done
  rm -f "$errfile"
  echo "- load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/machine.md"
fi

# ---- summary -------------------------------------------------------------------------------------
# stats BENCH CONFIG COLUMN(4 = own, 5 = wall) -> "median min max" in seconds
stats() {
  awk -F'\t' -v b="$1" -v c="$2" -v col="$3" '$1 == b && $2 == c { print $col }' "$tsv" | sort -g |
    awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.6f %.6f %.6f\n", m, v[1], v[NR] }'
}
median() { stats "$@" | cut -d' ' -f1; }
ms() { awk -v x="$1" 'BEGIN { printf (x < 0.01 ? "%.2f" : "%.1f"), x * 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { r = a / b; printf (r < 0.1 ? "%.3f" : "%.2f"), r }'; }
# round_ratios BENCH A B COLUMN -> "median min max" of A/B over the rounds (both from the same round)
round_ratios() {
  awk -F'\t' -v b="$1" -v x="$2" -v y="$3" -v col="$4" '$1 == b && $2 == x { a[$3] = $col } $1 == b && $2 == y { c[$3] = $col }
    END { for (r in a) if (r in c) print a[r] / c[r] }' "$tsv" | sort -g |
    awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f (%.2f–%.2f)\n", m, v[1], v[NR] }'
}

table() { # BENCH COLUMN TITLE [diff]: one row per configuration, × native (or + native with diff)
  local bench="$1" col="$2" config med min max nat
  local -n configs="configs_${bench//-/_}"
  nat=$(median "$bench" native "$col")
  if [ "${4:-}" = diff ]; then
    echo "| $3 | median ms | min ms | max ms | − native, ms |"
  else
    echo "| $3 | median ms | min ms | max ms | × native |"
  fi
  echo "|---|--:|--:|--:|--:|"
  for config in "${configs[@]}"; do
    read -r med min max <<<"$(stats "$bench" "$config" "$col")"
    if [ "${4:-}" = diff ]; then
      echo "| $config | $(ms "$med") | $(ms "$min") | $(ms "$max") | $(ms "$(awk -v a="$med" -v b="$nat" 'BEGIN { print a - b }')") |"
    else
      echo "| $config | $(ms "$med") | $(ms "$min") | $(ms "$max") | $(ratio "$med" "$nat") |"
    fi
  done
  echo
}

per_call_table() { # BENCH: cost per traced read of the targeted dd, from medians
  local bench="$1" nat s scost t cost config
  nat=$(median "$bench" native 4)
  s=$(median "$bench" strace 4)
  scost=$(awk -v t="$s" -v n="$nat" 'BEGIN { printf "%.6f", (t - n) / 20000 * 1e6 }')
  echo "| per traced read: (median − native median) / 20,000 | µs per call | × strace's |"
  echo "|---|--:|--:|"
  for config in "${configs_targeted[@]}"; do
    [ "$config" = native ] && continue
    t=$(median "$bench" "$config" 4)
    cost=$(awk -v t="$t" -v n="$nat" 'BEGIN { printf "%.6f", (t - n) / 20000 * 1e6 }')
    echo "| $config | $(awk -v c="$cost" 'BEGIN { printf (c < 1 ? "%.2f" : "%.1f"), c }') | $(ratio "$cost" "$scost") |"
  done
  echo
}

{
  if wants untargeted; then
    echo "## 1. Untargeted: ${DD_UNTARGETED[*]} (4M syscalls; rule on openat)"; echo
    table untargeted 4 "dd's own time"
    echo "Ratios of dd's own time within each round, median (min–max) over the rounds:"; echo
    for pair in "seccomp-only native" "phoebe native" "strace native" "phoebe strace" "phoebe seccomp-only"; do
      read -r a b <<<"$pair"
      echo "- $a / $b: $(round_ratios untargeted "$a" "$b" 4)"
    done
    echo
    table untargeted 5 "wall clock, startup included"
    echo "phoebe / strace (wall clock): $(ratio "$(median untargeted phoebe 5)" "$(median untargeted strace 5)")"; echo
  fi
  if wants startup; then
    echo "## Startup alone: the same tools and rule running \`true\`"; echo
    table startup 5 "wall clock" diff
  fi
  if wants targeted; then
    echo "## 2. Targeted: ${DD_TARGETED[*]} (20,000 reads in dd's copy loop, every one stops)"; echo
    table targeted 4 "dd's own time"
    per_call_table targeted
    for config in "${configs_targeted[@]}"; do
      case "$config" in native|strace|phoebe-entry-arg) continue ;; esac
      echo "- $config / strace per round (dd's own time): $(round_ratios targeted "$config" strace 4)"
    done
    echo
    table targeted 5 "wall clock, startup included"
  fi
  if wants targeted-1cpu; then
    echo "## 2b. Targeted, every command under \`taskset -c $pin_cpu\` (tracer and tracee on one CPU)"; echo
    table targeted-1cpu 4 "dd's own time"
    per_call_table targeted-1cpu
  fi
  if wants targeted-2cpu; then
    echo "## 2c. Targeted, the tool under \`taskset -c $other_cpu\`, dd under \`taskset -c $pin_cpu\` (every stop crosses CPUs)"; echo
    table targeted-2cpu 4 "dd's own time"
    per_call_table targeted-2cpu
  fi
  if wants kernel; then
    echo "## 3. In kernel: openloop $openat_calls (failing openat calls; rule: $KERNEL_RULE)"; echo
    table kernel 4 "the loop's own time"
    echo "| per openat call | µs per call |"
    echo "|---|--:|"
    for config in "${configs_kernel[@]}"; do
      echo "| $config | $(awk -v t="$(median kernel "$config" 4)" -v n="$openat_calls" 'BEGIN { printf "%.3f", t / n * 1e6 }') |"
    done
    echo
    table kernel 5 "wall clock, startup included"
  fi
} >"$out/tables.md"
cat "$out/machine.md" <(echo) "$out/tables.md" >"$out/summary.md"

cat "$out/summary.md"
echo "(raw measurements: $tsv)" >&2
