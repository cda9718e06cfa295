#!/usr/bin/env bash
# Fails when committed generated code (protobuf TS, CRD YAML, the chart's CRD copy, the chart's
# dashboards) differs from a fresh generation.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/generate.sh
if ! git diff --exit-code --stat -- proto/gen crds controller/policy/types.gen.ts charts/mull/crds charts/mull/dashboards; then
  echo "Generated files are out of date: run 'npm run generate' and commit the result." >&2
  exit 1
fi
untracked=$(git ls-files --others --exclude-standard -- proto/gen crds controller/policy/types.gen.ts charts/mull/crds charts/mull/dashboards)
if [ -n "$untracked" ]; then
  echo "Generated files are not committed: $untracked" >&2
  exit 1
fi
echo "generated code is up to date"
