#!/bin/sh
# Builds demo-kv (server.c) and demo-load (load.c) into bin/, and empties
# data/ so that every campaign starts from an empty store. scenario.yaml runs
# it as `target.build`; by hand: `sh examples/demo/build.sh`. CC picks the
# compiler (default cc).
set -eu
cd "$(dirname "$0")"
mkdir -p bin
${CC:-cc} -O2 -Wall -Werror -o bin/demo-kv server.c
${CC:-cc} -O2 -Wall -Werror -o bin/demo-load load.c
rm -rf data
