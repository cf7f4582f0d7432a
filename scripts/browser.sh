#!/usr/bin/env bash
# Installs Debian's chromium for the page tests (headless), when missing,
# and writes the path of the binary to $GUICHET_SERVERS_DIR/browser.env as
# GUICHET_TEST_CHROMIUM. Run as root (or with sudo available) the first time.
set -euo pipefail

dir="${GUICHET_SERVERS_DIR:-/tmp/guichet-servers}"
mkdir -p "$dir"
if ! command -v chromium >/dev/null 2>&1; then
    echo "browser.sh: installing chromium (first run only)" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
bin=$(command -v chromium)
"$bin" --version >&2
echo "export GUICHET_TEST_CHROMIUM=$bin" > "$dir/browser.env"
