#!/usr/bin/env bash
# Installs Debian's chromium and chromedriver for the page tests (headless),
# when missing, and writes their paths to $GUICHET_SERVERS_DIR/browser.env as
# GUICHET_TEST_CHROMIUM and GUICHET_TEST_CHROMEDRIVER. Run as root (or with
# sudo available) the first time.
set -euo pipefail

dir="${GUICHET_SERVERS_DIR:-/tmp/guichet-servers}"
mkdir -p "$dir"
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    echo "browser.sh: installing chromium and chromedriver (first run only)" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
fi
bin=$(command -v chromium)
"$bin" --version >&2
driver=$(command -v chromedriver)
"$driver" --version >&2
{
    echo "export GUICHET_TEST_CHROMIUM=$bin"
    echo "export GUICHET_TEST_CHROMEDRIVER=$driver"
} > "$dir/browser.env"
