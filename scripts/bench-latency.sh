#!/usr/bin/env bash
# IDLE latency: from a mail accepted by Postfix to its acknowledgement
# accepted by Postfix, over MAILS mails (default 50), against the test
# Dovecot and Postfix on loopback (started here when needed). Release build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/servers.sh start >/dev/null
# shellcheck source=/dev/null
source "${GUICHET_SERVERS_DIR:-/tmp/guichet-servers}/env"
cargo bench --locked --bench idle_latency -- "${1:-50}"
