#!/usr/bin/env bash
# Builds the website chat widget: bot/web/widget/static/widget.js, bundled by esbuild from
# bot/web/widget/src/ with socket.io-client, both installed by `npm ci` from the committed
# package-lock.json (nothing is loaded from a CDN at run time). Safe to run again: `npm ci` is
# skipped while the lock is unchanged, the bundle while its sources are.
#
#   bash scripts/build_widget.sh          (scripts/setup.sh runs it as step 6)
#   FORCE=1 bash scripts/build_widget.sh  reinstall and rebuild
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WIDGET="$ROOT/bot/web/widget"
cd "$WIDGET"

sha256_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

if ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "npm is missing: installing Debian's nodejs and npm…"
        DEBIAN_FRONTEND=noninteractive apt-get update >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm >/dev/null
    else
        echo "npm is missing: install Node.js 18 or newer (e.g. sudo apt-get install nodejs npm), then run" >&2
        echo "bash scripts/build_widget.sh" >&2
        exit 1
    fi
fi
echo "node $(node --version), npm $(npm --version)"

# 1. dependencies, exactly as locked
deps_stamp="node_modules/.lock.sha256"
deps_want="$(sha256_of package-lock.json)-$(node --version)"
if [ "${FORCE:-0}" != 1 ] && [ -f "$deps_stamp" ] && [ "$(cat "$deps_stamp")" = "$deps_want" ]; then
    echo "npm packages: up to date (package-lock.json unchanged) — skipped"
else
    echo "npm packages: installing from package-lock.json (npm ci)…"
    start=$SECONDS
    npm ci --no-audit --no-fund --loglevel=error
    echo "$deps_want" >"$deps_stamp"
    echo "npm packages: installed in $((SECONDS - start))s"
fi

# 2. the bundle
bundle="static/widget.js"
build_stamp=".build-stamp"
build_want="$(sha256_of package-lock.json package.json src/*.js "$ROOT/scripts/build_widget.sh")"
if [ "${FORCE:-0}" != 1 ] && [ -f "$bundle" ] && [ -f "$build_stamp" ] && [ "$(cat "$build_stamp")" = "$build_want" ]; then
    echo "widget bundle: up to date (sources unchanged) — skipped"
else
    echo "widget bundle: building $bundle with esbuild…"
    rm -f "$build_stamp"
    npm run --silent build
    echo "$build_want" >"$build_stamp"
fi
size="$(wc -c <"$bundle")"
gzipped="$(gzip -9 -c "$bundle" | wc -c)"
echo "widget bundle: $((size / 1024)) KiB, $((gzipped / 1024)) KiB gzipped ($bundle)"
