#!/usr/bin/env bash
# The first set-up command: install what is missing, build, and start the server in
# development mode with its demo page on http://127.0.0.1:8080/.
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/install-deps.sh --build-only
deploy/build.sh build -DCMAKE_BUILD_TYPE=Release
exec build/bin/switchyard --dev "$@"
