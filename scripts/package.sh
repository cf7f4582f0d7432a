#!/usr/bin/env bash
# Builds the Debian package guichet_<version>_amd64.deb with cargo-deb
# (metadata: [package.metadata.deb] in Cargo.toml; unit, sample config and
# maintainer scripts under packaging/), then prints the unit's
# `systemd-analyze security` exposure.
#   scripts/package.sh                 release build, .deb in target/debian/
#   scripts/package.sh --debug         the dev profile (the binary the tests
#                                      already built): for the package test
#   scripts/package.sh --output DIR    where the .deb goes
# The last line printed is the path of the .deb.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo_deb_version=3.8.0
profile=release
output=""
while [ $# -gt 0 ]; do
    case "$1" in
        --debug) profile=dev ;;
        --output) output=${2:?--output needs a directory}; shift ;;
        *) echo "usage: $0 [--debug] [--output DIR]" >&2; exit 2 ;;
    esac
    shift
done

if ! cargo deb --version 2>/dev/null | grep -qx "cargo-deb $cargo_deb_version"; then
    echo "package: installing cargo-deb $cargo_deb_version from crates.io" >&2
    cargo install --locked cargo-deb --version "$cargo_deb_version"
fi

target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
[ -n "$output" ] || output="$target_dir/debian"
mkdir -p "$output"

args=(--locked --profile "$profile" --output "$output")
if [ "$profile" = dev ]; then
    # Only for tests, never shipped: stripped (the debug info is 80% of
    # the binary) and lightly compressed, so it packs in seconds.
    args+=(--strip --fast)
    # Built by cargo itself (fresh after `cargo test`): cargo-deb's own
    # build would change the fingerprint and make both rebuild in turn.
    cargo build --locked --bin guichet
    args+=(--no-build)
fi
deb=$(cargo deb "${args[@]}" | tail -n 1)

# The unit's exposure score, as systemd sees it (no running systemd needed).
if ! command -v systemd-analyze >/dev/null; then
    echo "package: installing systemd (for systemd-analyze)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q systemd >/dev/null
fi
systemd-analyze security --offline=true packaging/guichet.service 2>/dev/null | grep 'Overall exposure' >&2 || true

echo "$deb"
