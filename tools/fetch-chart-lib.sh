#!/usr/bin/env bash
# Copies the chart library that report.html inlines (uPlot, pinned with its
# integrity hash in tools/chart-lib/package-lock.json) from its npm package into
# src/Phoebe.Runtime/Experiments/Assets/, where it is committed and embedded
# into Phoebe.Runtime.dll: a report must render offline, from file://.
#
#   tools/fetch-chart-lib.sh           install the pinned package, copy its files
#   tools/fetch-chart-lib.sh --check   fail unless the committed files are
#                                      byte-identical to the pinned package's
#                                      (run by the tests)
#
# To move to another version: change it in tools/chart-lib/package.json, run
# `npm install --package-lock-only` there, then this script, and commit all three.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
lib="$root/tools/chart-lib"
out="$root/src/Phoebe.Runtime/Experiments/Assets"
check=0
[ "${1:-}" = "--check" ] && check=1

# package file -> committed file
files=(
  "dist/uPlot.iife.min.js:uPlot.iife.min.js"
  "dist/uPlot.min.css:uPlot.min.css"
  "LICENSE:uPlot.LICENSE"
)

# npm ci in a scratch copy: it installs exactly what the lock pins, checks the
# tarball against the lock's integrity hash, and leaves the tree untouched.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$lib/package.json" "$lib/package-lock.json" "$tmp/"
if ! (cd "$tmp" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >"$tmp/npm.log" 2>&1); then
  echo "npm ci of tools/chart-lib failed:" >&2
  cat "$tmp/npm.log" >&2
  exit 1
fi
pkg="$tmp/node_modules/uplot"
version=$(node -p "require('$pkg/package.json').version")

if [ $check -eq 1 ]; then
  status=0
  for f in "${files[@]}"; do
    from="$pkg/${f%%:*}" to="$out/${f##*:}"
    if [ ! -f "$to" ]; then
      echo "missing: ${to#"$root"/} (run tools/fetch-chart-lib.sh and commit the result)" >&2
      status=1
    elif ! cmp -s "$from" "$to"; then
      echo "differs from uplot $version's ${f%%:*}: ${to#"$root"/} (run tools/fetch-chart-lib.sh and commit the result)" >&2
      status=1
    fi
  done
  [ $status -eq 0 ] && echo "chart library matches uplot $version from tools/chart-lib/package-lock.json"
  exit $status
fi

mkdir -p "$out"
for f in "${files[@]}"; do
  cp "$pkg/${f%%:*}" "$out/${f##*:}"
done
echo "copied uplot $version (${#files[@]} files) to src/Phoebe.Runtime/Experiments/Assets"
