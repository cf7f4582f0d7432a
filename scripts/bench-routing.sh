#!/usr/bin/env bash
# Routing cost: MAILS new mails (default 2000) in a maildir, stored and
# acknowledged by one `guichet run --once` (release build, SQLite, outgoing
# mail as files), with the shipped config's rules, requester groups and
# automatic assignment, then with every [[rule]] removed. Prints mails a
# second for each run.
set -euo pipefail
cd "$(dirname "$0")/.."
mails=${1:-2000}
cargo build --release --locked --quiet
bin=$PWD/target/release/guichet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Mail of three kinds: printers (a rule, a group, a technician chosen),
# network (same), and anything else (no rule matches).
python3 - "$work/mail" "$mails" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for d in ("new", "cur", "tmp"):
    os.makedirs(os.path.join(root, d), exist_ok=True)
subjects = ["Imprimante du 3e en panne", "VPN does not connect", "Question sur ma paie"]
for i in range(n):
    body = (f"From: user{i}@example.test\r\nTo: support@example.test\r\n"
            f"Subject: {subjects[i % 3]} ({i})\r\nMessage-ID: <bench{i}@example.test>\r\n"
            "Date: Mon, 30 Nov 2026 09:00:00 +0100\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            "Bonjour,\r\nc'est bloquant pour tout le service depuis ce matin.\r\nMerci\r\n")
    with open(os.path.join(root, "new", f"{i:06d}.bench.host"), "w") as f:
        f.write(body)
PY

run() {
    local name=$1 config=$2
    rm -rf "$work/desk"
    mkdir -p "$work/desk"
    cp -r "$work/mail" "$work/desk/mail"
    sed -e "s|\"../examples/mail\"|\"mail\"|" -e "s|\"sqlite://../var/guichet.db\"|\"sqlite://var/guichet.db\"|" \
        -e "s|\"../var/outbox\"|\"outbox\"|" -e "s|\"../templates\"|\"$PWD/templates\"|" "$config" > "$work/desk/guichet.toml"
    "$bin" --config "$work/desk/guichet.toml" migrate >/dev/null
    local start end
    start=$(date +%s.%N)
    GUICHET_LOG=warn "$bin" --config "$work/desk/guichet.toml" run --once >/dev/null
    end=$(date +%s.%N)
    python3 -c "import sys; s=float(sys.argv[2])-float(sys.argv[1]); print(f'$name: {int(sys.argv[3])} mails in {s:.2f} s, {int(sys.argv[3])/s:.0f} mails/s')" "$start" "$end" "$mails"
}

# The same config without its [[rule]] tables (they come last in the file).
awk '/^\[\[rule\]\]/{exit} {print}' config/guichet.toml | grep -v '^# Rules, in order' > "$work/norules.toml"
# Alternated, ROUNDS times each (default 3): one run's figure moves by
# a third with the disk's fsync latency.
for _ in $(seq 1 "${ROUNDS:-3}"); do
    run "with the shipped rules" config/guichet.toml
    run "without rules         " "$work/norules.toml"
done
