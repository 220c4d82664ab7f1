#!/usr/bin/env bash
# Regenerates every table in src/Phoebe.Lang/Data/ from the system sources they come from.
#
#   tools/regen-data.sh [--check] STRACE_SOURCE_DIR
#
# STRACE_SOURCE_DIR (or $STRACE_SRC) is an unpacked strace source tree, the one
# the syscall classes and argument counts are read from. To get it on Debian,
# add a deb-src entry for the release's main archive to the apt sources, then,
# in a scratch directory:
#     apt-get update && apt-get source strace
#
# Other inputs, read from the machine (Debian packages): linux-libc-dev (kernel
# UAPI headers), libc6-dev (glibc's <errno.h>), manpages-dev (section 2 man
# pages), gcc (the preprocessor), python3. The tables depend on their versions,
# which the tables' comment lines record.
#
# --check regenerates into a temporary directory and compares with the
# committed tables: exit 0 when identical, 1 (after printing a diff) otherwise.
set -euo pipefail

check=false
if [[ "${1:-}" == "--check" ]]; then
    check=true
    shift
fi
strace_src="${1:-${STRACE_SRC:-}}"
if [[ -z "$strace_src" ]]; then
    echo "usage: $0 [--check] STRACE_SOURCE_DIR   (get it with: apt-get source strace)" >&2
    exit 2
fi

tools="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
data="$tools/../src/Phoebe.Lang/Data"
# strsignal(3) and friends must not follow the caller's locale.
export LC_ALL=C

if $check; then
    out="$(mktemp -d)"
    trap 'rm -rf "$out"' EXIT
else
    out="$data"
    mkdir -p "$out"
fi

python3 "$tools/gen-syscalls.py" "$strace_src" --out "$out/syscalls.tsv"
python3 "$tools/gen-errnos.py" --out "$out/errnos.tsv"
python3 "$tools/gen-signals.py" --out "$out/signals.tsv"
python3 "$tools/gen-syscall-errors.py" --syscalls "$out/syscalls.tsv" --errnos "$out/errnos.tsv" \
    --out "$out/syscall-errors.tsv"
python3 "$tools/gen-syscall-args.py" "$strace_src" --syscalls "$out/syscalls.tsv" --out "$out/syscall-args.tsv"

if $check; then
    status=0
    for f in syscalls.tsv errnos.tsv signals.tsv syscall-errors.tsv syscall-args.tsv; do
        if ! diff -u "$data/$f" "$out/$f"; then
            status=1
        fi
    done
    if [[ $status -eq 0 ]]; then
        echo "regen-data: committed tables are up to date" >&2
    else
        echo "regen-data: committed tables differ from what the sources give (rerun without --check)" >&2
    fi
    exit $status
fi
