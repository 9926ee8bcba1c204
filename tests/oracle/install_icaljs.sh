#!/bin/bash
# install_icaljs.sh — install the npm package ical.js (Mozilla's iCalendar parser, a peer for
# the export test) into tests/oracle/node_modules (git-ignored). Idempotent; prints the path
# of ical.js's entry point, or exits 1 with a message when npm/node or the network is missing.
set -u
dir=$(cd "$(dirname "$0")" && pwd)
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "node/npm are not installed (apt-get install nodejs npm)" >&2
    exit 1
fi
if [ ! -f "$dir/node_modules/ical.js/package.json" ]; then
    (cd "$dir" && npm install --no-save --no-audit --no-fund --silent ical.js@1 >/dev/null 2>&1) || {
        echo "npm could not install ical.js (offline?)" >&2
        exit 1
    }
fi
node -e 'console.log(require.resolve("ical.js"))' --prefix "$dir" 2>/dev/null ||
    (cd "$dir" && node -e 'console.log(require.resolve("ical.js"))')
