#!/usr/bin/env bash
# Runs the README's main command the way a new user would on a fresh Debian
# machine that has only what the README asks for (the .NET 10 SDK and gcc):
# a clean clone of HEAD, in a private mount namespace where everything that
# tools/test.sh installs beyond that is hidden (clang, llvm, libbpf-dev, strace,
# bpftool, prometheus, chromium, redis, node, npm, ...), then checks that the
# campaign gave the demo's four written verdicts.
#
#   tools/fresh-machine-check.sh [--no-libbpf] [--keep]
#
#   --no-libbpf   also hide libbpf.so.1: the campaign must observe with ptrace
#   --keep        keep the clone (its path is printed)
#
# Needs root (unshare -m, bind mounts). Nothing outside the namespace changes.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
hide_libbpf=0 keep=0
for arg in "$@"; do
  case "$arg" in
    --no-libbpf) hide_libbpf=1 ;;
    --keep) keep=1 ;;
    *) echo "usage: tools/fresh-machine-check.sh [--no-libbpf] [--keep]" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "fresh-machine-check: needs root (mount namespace, bind mounts)" >&2; exit 2; }

# What tools/test.sh installs (or the machine may have) beyond the README's prerequisites.
packages=(clang clang-14 llvm llvm-14 libbpf-dev bpftool strace prometheus chromium chromium-driver
          redis-server redis-tools nodejs npm dpkg-dev manpages-dev python3-minimal)
work=$(mktemp -d)
cleanup() { if [ $keep -eq 1 ]; then echo "kept: $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT
git clone -q "$root" "$work/phoebe"
# The build's lock and stamps live in the clone: nothing is shared with the checkout.

hidden="$work/hidden.txt"
: >"$hidden"
for p in "${packages[@]}"; do
  dpkg -L "$p" 2>/dev/null | grep -E '^/usr/(s?bin|include|lib/llvm-[0-9]+/bin)/' >>"$hidden" || true
done
# Some tools are on PATH through alternatives or pyenv shims rather than their package's files.
for tool in clang llvm-strip strace bpftool node npm python3 chromium redis-server redis-cli redis-benchmark prometheus; do
  p=$(command -v "$tool" 2>/dev/null || true)
  [ -n "$p" ] && echo "$p" >>"$hidden"
done
if [ $hide_libbpf -eq 1 ]; then
  for f in /usr/lib/*/libbpf.so.1*; do [ -e "$f" ] && echo "$f" >>"$hidden"; done
fi
sort -u -o "$hidden" "$hidden"

cat >"$work/inside.sh" <<'INSIDE'
set -euo pipefail
hidden=$1 clone=$2
mkdir -p /tmp/phoebe-fresh-empty
while read -r path; do
  if [ -d "$path" ] && [ ! -L "$path" ]; then
    mount --bind /tmp/phoebe-fresh-empty "$path"
  elif [ -e "$path" ]; then
    mount --bind /dev/null "$(readlink -f "$path")" 2>/dev/null || true
  fi
done <"$hidden"
for tool in clang llvm-strip strace bpftool node npm chromium redis-server prometheus; do
  if "$tool" --version >/dev/null 2>&1; then echo "fresh-machine-check: could not hide $tool" >&2; exit 3; fi
done
[ ! -s /usr/include/bpf/bpf_helpers.h ] || { echo "fresh-machine-check: could not hide libbpf-dev" >&2; exit 3; }
echo "hidden: clang, llvm, libbpf-dev, strace, bpftool, prometheus, chromium, redis, node, npm ($(wc -l <"$hidden") paths)"
cd "$clone"
./phoebe experiment examples/demo/scenario.yaml --out examples/demo/report
INSIDE

start=$(date +%s)
set +e
unshare -m --propagation private bash "$work/inside.sh" "$hidden" "$work/phoebe"
rc=$?
set -e
echo "the main command exited $rc after $(( $(date +%s) - start )) s"
report="$work/phoebe/examples/demo/report/report.json"
[ -f "$report" ] || { echo "FAILED: no report.json" >&2; exit 1; }
verdicts=$(grep -o '"verdict": *"[a-z]*"' "$report" | sed 's/.*"\([a-z]*\)"$/\1/' | sort -u | tr '\n' ' ')
echo "verdicts: $verdicts"
for v in resilient degraded corrupted crashed; do
  case " $verdicts" in *" $v "*) ;; *) echo "FAILED: no $v verdict" >&2; exit 1 ;; esac
done
[ "$rc" -eq 0 ] || { echo "FAILED: exit $rc" >&2; exit 1; }
echo "fresh-machine check passed"
