#!/usr/bin/env bash
# Timer cost: TICKETS new tickets (default 2000) opened by one `guichet run
# --once` under the shipped config's SLA policies (release build, SQLite,
# outgoing mail as files); then, ten days later by GUICHET_NOW, one pass of
# the sweeper finds every timer breached: each breach is recorded, escalated
# and mailed. Prints the time of each pass and the breaches a second.
set -euo pipefail
cd "$(dirname "$0")/.."
tickets=${1:-2000}
cargo build --release --locked --quiet
bin=$PWD/target/release/guichet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$work/desk/mail" "$tickets" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for d in ("new", "cur", "tmp"):
    os.makedirs(os.path.join(root, d), exist_ok=True)
subjects = ["Imprimante du 3e en panne", "VPN does not connect", "Question sur ma paie"]
for i in range(n):
    body = (f"From: user{i}@example.test\r\nTo: support@example.test\r\n"
            f"Subject: {subjects[i % 3]} ({i})\r\nMessage-ID: <sweep{i}@example.test>\r\n"
            "Date: Mon, 30 Nov 2026 09:00:00 +0100\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            "Bonjour,\r\nrien ne fonctionne depuis ce matin.\r\nMerci\r\n")
    with open(os.path.join(root, "new", f"{i:06d}.sweep.host"), "w") as f:
        f.write(body)
PY
sed -e "s|\"../examples/mail\"|\"mail\"|" -e "s|\"sqlite://../var/guichet.db\"|\"sqlite://var/guichet.db\"|" \
    -e "s|\"../var/outbox\"|\"outbox\"|" -e "s|\"../templates\"|\"$PWD/templates\"|" \
    config/guichet.toml > "$work/desk/guichet.toml"
config=$work/desk/guichet.toml
"$bin" --config "$config" migrate >/dev/null

pass() {
    local name=$1 now=$2 start end
    start=$(date +%s.%N)
    out=$(GUICHET_NOW=$now GUICHET_LOG=warn "$bin" --config "$config" run --once)
    end=$(date +%s.%N)
    python3 -c "import sys; print(f'{sys.argv[1]}: {float(sys.argv[3])-float(sys.argv[2]):.2f} s')" "$name" "$start" "$end"
    echo "$out" | sed 's/^/    /'
}
pass "open $tickets tickets       " 2026-11-30T08:00:00Z
start=$(date +%s.%N)
pass "sweep ten days later        " 2026-12-10T08:00:00Z
end=$(date +%s.%N)
breached=$(GUICHET_NOW=2026-12-10T08:00:00Z "$bin" --config "$config" status --json |
    python3 -c "import json,sys; print(json.load(sys.stdin)['sla_timers'].get('breached', 0))")
python3 -c "import sys; s=float(sys.argv[2])-float(sys.argv[1]); b=int(sys.argv[3]); print(f'{b} timers breached in {s:.2f} s: {b/s:.0f} breaches/s, mail written included')" "$start" "$end" "$breached"
pass "sweep again (nothing due)   " 2026-12-10T08:00:00Z
