#!/usr/bin/env bash
# HTML cleaning cost: one `guichet ingest` (release build, SQLite) of an
# HTML mail of SIZE_MB megabytes (default 1 2 4 8), for three kinds of HTML:
#   hostile  scripts, handlers, javascript: and data: URLs, styles, iframes
#   nested   5,000-deep <div> nesting, repeated
#   misnest  misnested formatting tags (<b><i>x</b></i>), the parser's
#            slowest path (the adoption agency algorithm)
# Prints the wall time of each ingest (process start to exit), with
# [limits] max_html_bytes raised above the size so that the HTML is cleaned.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1 2 4 8)
cargo build --release --locked --quiet
bin=$PWD/target/release/guichet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/maildir/new" "$work/maildir/cur" "$work/maildir/tmp"
cat > "$work/guichet.toml" <<EOF
[database]
url = "sqlite://guichet.db"
[[mailbox]]
name = "support"
path = "maildir"
address = "support@example.test"
[outgoing]
transport = "file"
dir = "outbox"
from_name = "Support"
[tickets]
subject_tag = "Guichet"
language = "fr"
[templates]
dir = "$PWD/templates"
[[technician]]
email = "marc@example.test"
name = "Marc"
groups = ["poste"]
[limits]
max_html_bytes = 1073741824
EOF
"$bin" --config "$work/guichet.toml" migrate >/dev/null

printf '%-8s %6s %8s\n' kind MB seconds
for kind in hostile nested misnest; do
    for mb in "${sizes[@]}"; do
        python3 - "$work/mail.eml" "$kind" "$mb" <<'PY'
import sys
path, kind, mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
blocks = {
    "hostile": '<div onclick="steal()" style="background:url(javascript:alert(1))"><script>alert(1)</script>'
               '<a href="javascript:alert(2)">x</a><img src="data:image/svg+xml;base64,PHN2Zz4=" onerror="alert(3)">'
               '<style>body{display:none}</style><iframe src="https://evil.example"></iframe>texte utile</div>\n',
    "nested": "<div>" * 5000 + "au fond" + "</div>" * 5000 + "\n",
    "misnest": "<b><i><u>texte</b></i></u><p><b>para</p></b>\n",
}
block = blocks[kind]
html = block * (mb * 1_000_000 // len(block))
with open(path, "w") as f:
    f.write(f"From: alice@example.test\r\nTo: support@example.test\r\nSubject: {kind} {mb}\r\n"
            f"Message-ID: <{kind}-{mb}@example.test>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/html; charset=utf-8\r\n\r\n<html><body>{html}</body></html>\r\n")
PY
        start=$(date +%s.%N)
        GUICHET_LOG=warn "$bin" --config "$work/guichet.toml" ingest "$work/mail.eml" >/dev/null
        end=$(date +%s.%N)
        python3 -c "import sys; print(f'{sys.argv[1]:<8} {sys.argv[2]:>6} {float(sys.argv[4])-float(sys.argv[3]):8.2f}')" \
            "$kind" "$mb" "$start" "$end"
    done
done
