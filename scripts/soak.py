#!/usr/bin/env python3
"""The soak's traffic and its measures (scripts/soak.sh starts the desk and
calls this; see there for the setup).

    scripts/soak.py --pid PID --minutes M --rate R --support ADDR
                    --requesters A,B,... --technicians T,U,...
                    --maildirs ROOT --database URL --out FILE

For M minutes, R mails a second go to Postfix over SMTP, addressed to the
desk's mailbox: new requests in the mix of scripts/bench-mail.py (French
and English, a third with HTML, 5 % with a 100 KB attachment), a fifth
requesters' replies to the acknowledgement they got, and one in twenty a
technician's answer to a notice they got, with a command on its first
line (#assign me, #resolve, #status pending, #impact 2). Every 10 s it
samples the desk process (RSS and its peak, open file descriptors), the
database (size, mails stored, size per mail, outgoing mail still queued).

The acknowledgement latency of each new request is the time from Postfix
accepting it (the end of DATA) to the first mail answering it
(In-Reply-To its Message-ID) being delivered in the requester's Dovecot
mailbox: Dovecot names the file after the time of delivery
(SECONDS.M<microseconds>P...). Beside it, the time to the answer being
accepted by Postfix (its outbox row's sent_at), bench phase c's measure.
"""

import argparse
import base64
import email.header
import email.parser
import email.policy
import email.utils
import importlib.util
import json
import os
import random
import re
import smtplib
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("bench_mail", os.path.join(HERE, "bench-mail.py"))
mix = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mix)

COMMANDS = [
    ("#assign me", {"fr": "Je prends la demande, je reviens vers vous dans la journée.",
                    "en": "I am taking this one, I will get back to you today."}),
    ("#resolve", {"fr": "C'est réparé de notre côté, pouvez-vous vérifier ?",
                  "en": "Fixed on our side, could you check?"}),
    ("#status pending", {"fr": "Pouvez-vous m'envoyer une capture de l'erreur ?",
                         "en": "Could you send me a screenshot of the error?"}),
    ("#impact 2", {"fr": "Plusieurs services sont touchés, je monte l'impact.",
                   "en": "Several teams are affected, raising the impact."}),
]
DELIVERED = re.compile(r"^(\d+)\.M(\d+)P")
headers_only = email.parser.BytesHeaderParser(policy=email.policy.compat32)


def now():
    return time.time()


def ids_in(value):
    return re.findall(r"<([^<>\s]+)>", value or "")


class Mailbox:
    """A Dovecot user's INBOX read as files: what arrived since the last look."""

    def __init__(self, root, address):
        self.dir = os.path.join(root, address.split("@")[0], "Maildir")
        self.seen = set()

    def arrivals(self):
        out = []
        for sub in ("new", "cur"):
            d = os.path.join(self.dir, sub)
            try:
                names = os.listdir(d)
            except FileNotFoundError:
                continue
            for name in names:
                key = name.split(":")[0]
                if key in self.seen:
                    continue
                m = DELIVERED.match(name)
                try:
                    with open(os.path.join(d, name), "rb") as f:
                        head = headers_only.parsebytes(f.read(16384))
                except FileNotFoundError:  # moved from new/ to cur/ meanwhile
                    continue
                self.seen.add(key)
                at = int(m.group(1)) + int(m.group(2)) / 1e6 if m else now()
                out.append((at, head))
        return out


class Database:
    def __init__(self, url):
        self.url = url
        if url.startswith("sqlite://"):
            self.path = url[len("sqlite://"):]
        else:
            self.path = None

    def query(self, sql):
        if self.path:
            c = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
            try:
                return c.execute(sql).fetchall()
            finally:
                c.close()
        out = subprocess.run(["psql", self.url, "-AtqF", "\t", "-c", sql], capture_output=True, text=True, check=True)
        return [tuple(line.split("\t")) for line in out.stdout.splitlines() if line]

    def size(self):
        if self.path:
            return sum(os.path.getsize(self.path + s) for s in ("", "-wal") if os.path.exists(self.path + s))
        return int(self.query("SELECT pg_database_size(current_database())")[0][0])


def proc(pid):
    rss = peak = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1])
    return rss, peak, len(os.listdir(f"/proc/{pid}/fd"))


def percentile(values, p):
    s = sorted(values)
    return s[max(0, min(len(s), int(-(-len(s) * p // 1))) - 1)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--rate", type=float, default=20)
    ap.add_argument("--smtp-port", type=int, default=int(os.environ.get("GUICHET_TEST_SMTP_PORT", "10025")))
    ap.add_argument("--support", required=True)
    ap.add_argument("--requesters", required=True)
    ap.add_argument("--technicians", required=True)
    ap.add_argument("--maildirs", default=os.environ.get("GUICHET_TEST_MAILDIR_ROOT"))
    ap.add_argument("--database", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    rnd = random.Random(args.seed)
    requesters = args.requesters.split(",")
    technicians = args.technicians.split(",")
    people = [(rnd.choice(mix.FIRST) + " " + rnd.choice(mix.LAST), a, "fr" if i % 2 == 0 else "en")
              for i, a in enumerate(requesters)]
    inbox = {a: Mailbox(args.maildirs, a) for a in requesters + technicians}
    attachment = base64.encodebytes(bytes(rnd.getrandbits(8) for _ in range(100_000))).decode()
    db = Database(args.database)
    tag = f"soak{os.getpid()}"

    requests = {}  # Message-ID -> accepted at, requester
    answered = {}  # Message-ID -> (delivered at, its Message-ID)
    to_reply = []  # (requester, language, acknowledgement's Message-ID, subject, References)
    notices = []  # (technician, notice Message-ID, subject, References)
    sent = {"request": 0, "reply": 0, "technician": 0}
    samples = []
    away = []  # (when, how long) Postfix did not take mail
    smtp = None

    def send(sender, raw):
        # Postfix away (restarted by an outage test on the same servers):
        # wait for it up to two minutes, and say how long it was away.
        nonlocal smtp
        since = None
        while True:
            try:
                if smtp is None:
                    smtp = smtplib.SMTP("127.0.0.1", args.smtp_port)
                smtp.sendmail(sender, [args.support], raw)
                if since is not None:
                    away.append((since - start, now() - since))
                return now()
            except (smtplib.SMTPException, OSError):
                smtp = None
                since = since or now()
                if now() - since > 120:
                    raise
                time.sleep(0.5)

    def look():
        for address, box in inbox.items():
            for at, head in box.arrivals():
                mid = (ids_in(head.get("Message-ID")) or [""])[0]
                irt = ids_in(head.get("In-Reply-To"))
                refs = head.get("References") or ""
                subject = str(email.header.make_header(email.header.decode_header(head.get("Subject") or "")))
                if address in technicians:
                    if "#" in subject:
                        notices.append((address, mid, subject, refs))
                    continue
                for r in irt:
                    if r in requests and r not in answered:
                        answered[r] = (at, mid)
                        lang = next(p[2] for p in people if p[1] == address)
                        to_reply.append((address, lang, mid, subject, refs))

    def request(n):
        name, addr, lang = rnd.choice(people)
        mid = f"{tag}.{n}@example.test"
        subject = rnd.choice(mix.SUBJECTS[lang]).format(n=rnd.randint(1, 9))
        text = rnd.choice(mix.BODIES[lang]).format(
            what=rnd.choice(mix.WHAT[lang]), code=rnd.randint(10, 999), name=name,
            dept=rnd.choice(mix.DEPTS), ext=rnd.randint(1000, 9999), count=rnd.randint(3, 40))
        return addr, mid, compose(name, addr, subject, mid, text, "", n, rnd.random() < 1 / 3,
                                  attachment if rnd.random() < 0.05 else None)

    def reply(n):
        addr, lang, ack, subject, refs = to_reply.pop(rnd.randrange(len(to_reply)))
        name = next(p[0] for p in people if p[1] == addr)
        text = rnd.choice(mix.REPLIES[lang]) + f"\n\n{name}\n"
        extra = f"In-Reply-To: <{ack}>\r\nReferences: {refs} <{ack}>\r\n"
        return addr, compose(name, addr, "Re: " + subject, f"{tag}.{n}@example.test", text, extra, n, False, None)

    def technician(n):
        addr, notice, subject, refs = notices.pop(rnd.randrange(len(notices)))
        command, words = rnd.choice(COMMANDS)
        text = f"{command}\n\n{words['fr' if rnd.random() < 0.5 else 'en']}\n\n-- \nTess\n"
        extra = f"In-Reply-To: <{notice}>\r\nReferences: {refs} <{notice}>\r\n"
        return addr, compose("Tess Tech", addr, "Re: " + subject, f"{tag}.{n}@example.test", text, extra, n,
                             False, None)

    def compose(name, addr, subject, mid, text, extra, n, html, attached):
        head = (mix.header_line("From", f"{name} <{addr}>") if name.isascii()
                else mix.header_line("From", name).rstrip("\r\n") + f" <{addr}>\r\n")
        head += f"To: {args.support}\r\n" + mix.header_line("Subject", subject)
        head += (f"Message-ID: <{mid}>\r\nDate: {email.utils.formatdate(localtime=True)}\r\n"
                 "MIME-Version: 1.0\r\n" + extra)
        plain = ("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                 + mix.crlf(text))
        part = plain
        if html:
            body = (f"--alt{n}\r\n{plain}\r\n--alt{n}\r\nContent-Type: text/html; charset=utf-8\r\n"
                    f"Content-Transfer-Encoding: 8bit\r\n\r\n{mix.crlf(mix.html_of(text))}\r\n--alt{n}--\r\n")
            part = f'Content-Type: multipart/alternative; boundary="alt{n}"\r\n\r\n{body}'
        if attached:
            return (head + f'Content-Type: multipart/mixed; boundary="mix{n}"\r\n\r\n--mix{n}\r\n{part}\r\n'
                    f'--mix{n}\r\nContent-Type: application/pdf; name="rapport-{n}.pdf"\r\n'
                    f'Content-Disposition: attachment; filename="rapport-{n}.pdf"\r\n'
                    "Content-Transfer-Encoding: base64\r\n\r\n" + mix.crlf(attached)
                    + f"\r\n--mix{n}--\r\n").encode()
        return (head + part).encode()

    def sample(t):
        rss, peak, fds = proc(args.pid)
        stored = int(db.query("SELECT count(*) FROM inbound")[0][0])
        queued = int(db.query("SELECT count(*) FROM outbox WHERE state <> 'sent'")[0][0])
        size = db.size()
        # Per mail: what the database grew by since the start (an empty
        # PostgreSQL database is already several MB).
        base = samples[0]["db_bytes"] if samples else size
        samples.append({"t": round(t), "rss_kb": rss, "peak_kb": peak, "fds": fds, "stored": stored,
                        "queued": queued, "db_bytes": size, "bytes_per_mail": (size - base) // max(stored, 1)})
        s = samples[-1]
        print(f"{s['t']:5d} s  RSS {rss / 1024:6.1f} MB (peak {peak / 1024:6.1f})  fds {fds:3d}  "
              f"stored {stored:6d}  queued {queued:5d}  db {size / 1048576:7.1f} MB "
              f"({s['bytes_per_mail'] / 1024:5.1f} KB a mail)  answered {len(answered)}/{len(requests)}",
              flush=True)

    start = now()
    end = start + args.minutes * 60
    next_sample = start
    n = 0
    while True:
        t = now()
        if t >= next_sample:
            look()
            sample(t - start)
            next_sample += 10
        if t >= end:
            break
        due = start + n / args.rate
        if due > t:
            time.sleep(min(due - t, max(0.0, next_sample - t)))
            continue
        roll = rnd.random()
        if roll < 0.05 and notices:
            addr, raw = technician(n)
            send(addr, raw)
            sent["technician"] += 1
        elif roll < 0.25 and to_reply:
            addr, raw = reply(n)
            send(addr, raw)
            sent["reply"] += 1
        else:
            addr, mid, raw = request(n)
            requests[mid] = (send(addr, raw), addr)
            sent["request"] += 1
        n += 1
        if n % 20 == 0:
            look()
    if smtp is not None:
        smtp.quit()
    # The last requests' answers: a minute at most.
    drain = now()
    while len(answered) < len(requests) and now() - drain < 60:
        time.sleep(1)
        look()
    sample(now() - start)

    # Phase c's measure beside ours: the answer accepted by Postfix.
    accepted = {}
    rows = db.query(
        "SELECT i.message_id, min(o.sent_at) FROM inbound i JOIN outbox o ON o.ticket_id = i.ticket_id "
        "AND o.template IN ('acknowledgement', 'major_incident_status') WHERE o.state = 'sent' "
        f"AND i.message_id LIKE '{tag}.%' GROUP BY i.message_id")
    for mid, at in rows:
        if mid in requests and at:
            accepted[mid] = datetime.fromisoformat(str(at)).replace(tzinfo=timezone.utc).timestamp()

    window = min(300.0, args.minutes * 60 / 3)
    lat = sorted((t0 - start, answered[m][0] - t0) for m, (t0, _) in requests.items() if m in answered)
    relay = [accepted[m] - t0 for m, (t0, _) in requests.items() if m in accepted]
    first = [d for t, d in lat if t < window]
    last = [d for t, d in lat if t >= args.minutes * 60 - window]

    def figures(values):
        if not values:
            return "none"
        return (f"median {statistics.median(values) * 1000:.0f} ms, p95 {percentile(values, 0.95) * 1000:.0f} ms, "
                f"max {max(values) * 1000:.0f} ms ({len(values)} mails)")

    every = [d for _, d in lat]
    drift = (statistics.median(last) / statistics.median(first) - 1) if first and last else float("nan")
    peak = max(s["peak_kb"] for s in samples)
    lines = [
        f"soak: {args.minutes:g} min at {args.rate:g} mails/s, database {args.database.split('://')[0]}",
        f"sent to Postfix: {sent['request']} requests, {sent['reply']} requesters' replies, "
        f"{sent['technician']} technicians' answers with a command ({n} mails, {n / (args.minutes * 60):.1f}/s)",
        f"stored by the desk: {samples[-1]['stored']}; outgoing mail still queued at the end: {samples[-1]['queued']}",
        "Postfix not taking mail: " + (", ".join(f"{d:.1f} s at {t:.0f} s" for t, d in away) or "never"),
        f"requests answered (delivered in the requester's mailbox): {len(answered)} of {len(requests)}",
        f"latency, accepted by Postfix -> answer delivered to Dovecot: {figures(every)}",
        f"latency, accepted by Postfix -> answer accepted by Postfix (phase c's measure): {figures(relay)}",
        f"first {window / 60:g} min: {figures(first)}",
        f"last {window / 60:g} min:  {figures(last)}",
        f"last against first, median: {drift * 100:+.1f} % -> "
        + ("within 10 %" if abs(drift) <= 0.10 else "NOT within 10 %"),
        f"RSS: first sample {samples[0]['rss_kb'] / 1024:.1f} MB, last {samples[-1]['rss_kb'] / 1024:.1f} MB, "
        f"peak {peak / 1024:.1f} MB",
        f"open file descriptors: min {min(s['fds'] for s in samples)}, max {max(s['fds'] for s in samples)}, "
        f"last {samples[-1]['fds']}",
        f"database: {samples[-1]['db_bytes'] / 1048576:.1f} MB ({samples[0]['db_bytes'] / 1048576:.1f} MB at the "
        f"start) for {samples[-1]['stored']} mails, {samples[-1]['bytes_per_mail'] / 1024:.1f} KB a mail",
    ]
    # What the sender and the sweeper did: the mail by kind, the timers by state.
    count = lambda sql: ", ".join(f"{n} {k}" for k, n in sorted(db.query(sql), key=lambda r: -int(r[1])))
    lines.append("mail sent by kind: " + count("SELECT template, count(*) FROM outbox WHERE state = 'sent' GROUP BY template"))
    lines.append("SLA timers: " + count("SELECT state, count(*) FROM sla_timers GROUP BY state"))
    lines.append("tickets: " + count("SELECT status, count(*) FROM tickets GROUP BY status"))
    per10 = {}
    for t, d in lat:
        per10.setdefault(int(t // 10) * 10, []).append(d)
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n\nsamples (every 10 s):\n")
        f.write("t_s rss_kb peak_kb fds stored queued db_bytes bytes_per_mail latency_median_ms latency_p95_ms\n")
        for s in samples:
            ds = per10.get(s["t"] // 10 * 10, [])
            med = f"{statistics.median(ds) * 1000:.0f}" if ds else "-"
            p95 = f"{percentile(ds, 0.95) * 1000:.0f}" if ds else "-"
            f.write(f"{s['t']} {s['rss_kb']} {s['peak_kb']} {s['fds']} {s['stored']} {s['queued']} "
                    f"{s['db_bytes']} {s['bytes_per_mail']} {med} {p95}\n")
        f.write("\n" + json.dumps({"samples": samples}) + "\n")
    print()
    print("\n".join(lines))
    print(f"written to {args.out}")
    return 0 if abs(drift) <= 0.10 else 1


if __name__ == "__main__":
    sys.exit(main())
