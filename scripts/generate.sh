#!/usr/bin/env bash
# Regenerates every generated file: protobuf TS code, the CRD YAML and its copy in the chart, and
# the chart's Grafana dashboards (dashboards/*.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
PATH="$PWD/node_modules/.bin:$PATH"
buf generate
if [ -f crds/generate.ts ]; then node crds/generate.ts; fi
# The Helm chart ships the same CRD in its crds/ directory (Helm installs it before the templates).
mkdir -p charts/mull/crds
cp crds/mull.dev_testtimepolicies.yaml charts/mull/crds/
node dashboards/generate.ts
biome format --write proto/gen charts/mull/dashboards >/dev/null
