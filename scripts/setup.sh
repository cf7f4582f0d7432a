#!/usr/bin/env bash
# Installs what building guichet needs on Debian: a C compiler for the
# bundled SQLite and libpq, OpenSSL's headers for libpq. Quick when everything is already there. Run as root
# (or with sudo available) when something is missing.
set -euo pipefail

need_rust="1.95"
if ! command -v cargo >/dev/null 2>&1; then
    echo "guichet needs a Rust toolchain ($need_rust or newer): cargo is not on PATH." >&2
    echo "Install one with rustup, then run this again." >&2
    exit 1
fi
have=$(rustc --version | awk '{print $2}')
if [ "$(printf '%s\n%s\n' "$need_rust" "$have" | sort -V | head -n1)" != "$need_rust" ]; then
    echo "guichet needs Rust $need_rust or newer; this machine has $have." >&2
    exit 1
fi

missing=()
command -v cc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
# The bundled libpq links against the system's OpenSSL.
pkg-config --exists openssl 2>/dev/null || missing+=(libssl-dev)
# The tests verify our DKIM signatures with an independent verifier.
# (Debian's python3: a python3 earlier on PATH may not see its packages.)
/usr/bin/python3 -c 'import dkim' >/dev/null 2>&1 || missing+=(python3-dkim)
# The package test grades the service unit with systemd-analyze (no
# running systemd needed) and runs it as its user with setpriv.
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
