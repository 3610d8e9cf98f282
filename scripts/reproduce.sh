#!/usr/bin/env bash
# Regenerates docs/reproduction.md and docs/charts/*.png from the simulator (a few minutes on
# 2 cores). Usage: ./scripts/reproduce.sh [--no-progress]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
exec ./kvplace simulate --scenario report --out docs "$@"
