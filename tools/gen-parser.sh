#!/usr/bin/env bash
# Regenerates the C# parser from grammar/Phoebe.g4 with the antlr-ng version
# pinned in grammar/package-lock.json, into src/Phoebe.Lang/Syntax/Generated/.
#
#   tools/gen-parser.sh           regenerate in place
#   tools/gen-parser.sh --check   regenerate into a temp dir, fail if the
#                                 committed files differ (run by the tests)
#
# The only post-processing is mechanical: generated types are made `internal`
# (the AST, not the parse tree, is Phoebe.Lang's public surface) and the
# tool's timestamp-free header is kept as is.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/src/Phoebe.Lang/Syntax/Generated"
check=0
[ "${1:-}" = "--check" ] && check=1

if [ ! -x "$root/grammar/node_modules/.bin/antlr-ng" ]; then
  (cd "$root/grammar" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$root/grammar/Phoebe.g4" "$tmp/"
(cd "$tmp" && "$root/grammar/node_modules/.bin/antlr-ng" -Dlanguage=CSharp \
  --package Phoebe.Lang.Syntax.Generated --generate-visitor true --generate-listener false \
  -o gen Phoebe.g4 >/dev/null)
for f in "$tmp"/gen/*.cs; do
  sed -i -E 's/^public (partial class|interface|class) /internal \1 /' "$f"
done
# Keep only the C# sources; token/interp files are build by-products.
mkdir -p "$tmp/final"
cp "$tmp"/gen/*.cs "$tmp/final/"

if [ $check -eq 1 ]; then
  if ! diff -r -u "$out" "$tmp/final" >"$tmp/diff.txt"; then
    echo "generated parser is stale: run tools/gen-parser.sh and commit the result" >&2
    head -40 "$tmp/diff.txt" >&2
    exit 1
  fi
  echo "generated parser is up to date"
else
  rm -rf "$out"
  mkdir -p "$out"
  cp "$tmp"/final/*.cs "$out/"
  echo "wrote $(ls "$out" | wc -l) files to src/Phoebe.Lang/Syntax/Generated"
fi
