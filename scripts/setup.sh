#!/usr/bin/env bash
# setup.sh [--tests] — install the Debian 12 packages chalkwave needs (only the missing
# ones; quiet when everything is there), then configure and build into ./build.
#   --tests      also install what the test suite needs (scripts/deps.txt)
#   --no-build   install only
# Runs as root on a fresh Debian 12 machine; uses sudo when not root.
set -euo pipefail
cd "$(dirname "$0")/.."
want_tests=0; build=1
for a in "$@"; do
  case "$a" in
    --tests) want_tests=1 ;;
    --no-build) build=0 ;;
    *) echo "setup.sh: unknown option '$a' (use --tests or --no-build)" >&2; exit 2 ;;
  esac
done
lists=(scripts/deps-build.txt)
[ "$want_tests" = 1 ] && lists+=(scripts/deps.txt)
missing=()
for entry in $(grep -hv '^\s*#' "${lists[@]}" | sort -u); do
  p=${entry%%:*}
  if [ "$p" != "$entry" ] && command -v "${entry#*:}" >/dev/null 2>&1; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "setup: installing ${#missing[@]} Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ "$build" = 1 ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j"$(nproc)" >/dev/null || { cmake --build build -j1; exit 1; }
  echo "setup: built build/cli/chalkwave"
fi
