#!/usr/bin/env bash
# `npm test`: static checks first (cheap, fail fast), then every unit, integration and e2e test in
# ONE node:test run so that CI reads a single summary. The e2e binaries are built (or found in
# the cache) before the run; the global setup brings the control plane and nats-server up.
set -euo pipefail
cd "$(dirname "$0")/.."
PATH="$PWD/node_modules/.bin:$PATH"

echo "== type check"; tsc --noEmit -p .
echo "== lint and format"; biome check .
echo "== generated code"; bash scripts/check-generated.sh
echo "== layering"; depcruise --config .dependency-cruiser.json --output-type err \
  bin calibrate controller crds demo bench operator proto router scripts sim test e2e
echo "== e2e binaries"; bash e2e/build.sh
echo "== image and chart tools"; bash scripts/tools.sh

echo "== tests"
exec node --test --test-timeout=900000 --test-global-setup=e2e/global-setup.ts \
  'proto/**/*.test.ts' 'controller/**/*.test.ts' 'router/**/*.test.ts' 'sim/**/*.test.ts' 'calibrate/**/*.test.ts' \
  'operator/**/*.test.ts' 'demo/**/*.test.ts' 'bench/**/*.test.ts' 'crds/**/*.test.ts' \
  'test/**/*.test.ts' 'dashboards/**/*.test.ts' 'e2e/tests/**/*.test.ts'
