#!/usr/bin/env bash
# Rebuilds native/phoebe-monitor.bpf.o, the compiled eBPF monitor that ships
# with Phoebe (committed next to its source, as cilium/ebpf's bpf2go does), so
# that no user needs clang or libbpf-dev: loading it needs only libbpf.so.1.
#
#   tools/build-bpf.sh           rebuild in place (after changing the .bpf.c)
#   tools/build-bpf.sh --check   rebuild into a temp dir and fail if the
#                                committed object differs (run by the tests)
#
# The object is reproducible: the pinned compiler (Debian 12's clang 14.0.6,
# package clang) and libbpf headers (libbpf-dev 1.1.2), the source compiled
# from native/ under a relative name, and the DWARF stripped (the BTF that
# libbpf needs stays): the same source gives the same bytes on any machine.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pinned_clang="Debian clang version 14.0.6"
source=phoebe-monitor.bpf.c
object=phoebe-monitor.bpf.o
check=0
[ "${1:-}" = "--check" ] && check=1

die() { echo "build-bpf: $*" >&2; exit 2; }
command -v clang >/dev/null 2>&1 || die "needs clang (apt-get install clang)"
command -v llvm-strip >/dev/null 2>&1 || die "needs llvm-strip (apt-get install llvm)"
[ -f /usr/include/bpf/bpf_helpers.h ] || die "needs libbpf's headers (apt-get install libbpf-dev)"
version=$(clang --version | head -1)
case "$version" in
  "$pinned_clang"*) ;;
  *) die "the object is pinned to '$pinned_clang' (Debian 12's clang); this is '$version'" ;;
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# -idirafter: linux/types.h includes asm/types.h, which Debian keeps in the
# multiarch directory that -target bpf does not search. The prefix map keeps
# the build directory out of the object.
(cd "$root/native" && clang -O2 -g -Wall -Werror -target bpf \
  -idirafter "/usr/include/$(clang -print-multiarch)" \
  -fdebug-prefix-map="$root/native=." \
  -c -o "$tmp/$object" "$source")
llvm-strip -g "$tmp/$object"

if [ $check -eq 1 ]; then
  if ! cmp -s "$tmp/$object" "$root/native/$object"; then
    echo "native/$object is not what native/$source compiles to: run tools/build-bpf.sh and commit the result" >&2
    exit 1
  fi
  echo "native/$object is up to date ($(stat -c %s "$root/native/$object") bytes)"
else
  cp "$tmp/$object" "$root/native/$object"
  echo "wrote native/$object ($(stat -c %s "$root/native/$object") bytes)"
fi
