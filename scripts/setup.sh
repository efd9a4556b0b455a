#!/usr/bin/env bash
# Installs what excite's build, tests and demo need and are missing, saying what it installs.
#   scripts/setup.sh          everything `make test` needs
#   scripts/setup.sh --demo   only what `make demo` needs (Node.js)
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

have_cmd node || need_apt+=(nodejs npm)
if [ "${1:-}" != "--demo" ]; then
    for p in build-essential clang libclang-rt-14-dev emscripten python3-torch python3-numpy python3-pil libstb-dev chromium fonts-wqy-microhei curl ca-certificates; do
        have_pkg "$p" || need_apt+=("$p")
    done
fi

if [ ${#need_apt[@]} -gt 0 ]; then
    echo "setup: installing with apt: ${need_apt[*]}"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${need_apt[@]}"
fi

if [ "${1:-}" != "--demo" ] && [ -f package.json ]; then
    if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
        echo "setup: installing npm packages from package-lock.json (npm ci)"
        npm ci --no-audit --no-fund
    fi
fi
