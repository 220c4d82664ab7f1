#!/usr/bin/env bash
# Fetches and unpacks Debian's strace source package into DIR (for
# tools/regen-data.sh, which reads strace's syscall classes from it), using a
# private apt state so the machine's apt configuration is left untouched.
#
#   tools/fetch-strace-source.sh DIR      prints the unpacked source directory
set -euo pipefail
dest="${1:?usage: $0 DIR}"
mkdir -p "$dest"
dest="$(cd "$dest" && pwd)"
state="$dest/.apt"
mkdir -p "$state/lists/partial" "$state/archives/partial"
: > "$state/status"

# Same archive and suite as the machine's own sources, as a deb-src entry.
{
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'BEGIN{RS=""; ORS="\n\n"} /Types: *deb/ && !/security/ { sub(/Types: *deb/, "Types: deb-src"); print }' "$f"
  done
} > "$state/src.sources"
if ! grep -q deb-src "$state/src.sources"; then
  . /etc/os-release
  printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: %s\nComponents: main\n' "$VERSION_CODENAME" > "$state/src.sources"
fi

apt_opts=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$state/parts"
          -o "Dir::State::Lists=$state/lists" -o "Dir::State::Status=$state/status"
          -o "Dir::Cache::Archives=$state/archives" -o "Debug::NoLocking=1" -q)
mkdir -p "$state/parts"
cp "$state/src.sources" "$state/parts/src.sources"
apt-get "${apt_opts[@]}" update >/dev/null
(cd "$dest" && apt-get "${apt_opts[@]}" source strace >/dev/null 2>&1)
src="$(find "$dest" -maxdepth 1 -type d -name 'strace-*' | head -1)"
[ -n "$src" ] || { echo "fetch-strace-source: apt-get source strace produced no source tree" >&2; exit 1; }
echo "$src"
