#!/usr/bin/env bash
# Regenerates every generated file: protobuf TS code and the CRD YAML.
set -euo pipefail
cd "$(dirname "$0")/.."
PATH="$PWD/node_modules/.bin:$PATH"
buf generate
if [ -f crds/generate.ts ]; then node crds/generate.ts; fi
biome format --write proto/gen >/dev/null
