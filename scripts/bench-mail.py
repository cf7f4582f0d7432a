#!/usr/bin/env python3
"""Generates the benchmark's mail: N realistic messages to a support desk,
written as a maildir (new/), in the order they arrive.

    scripts/bench-mail.py DIR N [--seed S] [--to ADDRESS] [--ids PREFIX]
                         [--domain DOMAIN]

The mix, fixed by the seed (default 1):
- French and English, half each; one requester for every five mails (at
  least 150), so that none reaches the desk's hourly cap on automatic mail;
- a third with an HTML part beside the text (multipart/alternative);
- 20 % are replies to an earlier request (In-Reply-To / References, "Re:"
  subject, the earlier text quoted below);
- 5 % carry a 100 KB attachment (a PDF-like binary, base64);
- 1 % are auto-replies (Auto-Submitted: auto-replied), answering an
  earlier request.
Message-IDs are <benchN@requesters.example.test> (--ids and --domain
change "bench" and the requesters' domain: a second set for the same desk
needs other Message-IDs, and mail sent through the test Postfix needs
requesters in example.test), so a run can be checked.
"""

import argparse
import base64
import os
import random

SUBJECTS = {
    "fr": [
        "L'imprimante du {n}e étage ne répond plus",
        "Impossible de me connecter au VPN",
        "Mot de passe expiré, compte bloqué",
        "Demande d'un nouvel écran pour le poste {n}",
        "Outlook plante au démarrage",
        "Accès au dossier partagé Compta refusé",
        "Le Wi-Fi de la salle {n} coupe sans arrêt",
        "Installation du logiciel de paie",
    ],
    "en": [
        "Printer on floor {n} is not responding",
        "Cannot connect to the VPN",
        "Password expired, account locked",
        "Request for a new monitor for desk {n}",
        "Outlook crashes on start",
        "Access denied to the Finance share",
        "Wi-Fi in room {n} keeps dropping",
        "Please install the payroll software",
    ],
}
BODIES = {
    "fr": [
        "Bonjour,\n\nDepuis ce matin {what}. J'ai déjà redémarré le poste, sans effet.\n"
        "Le message affiché est : « erreur {code} ».\n\nPouvez-vous regarder rapidement ? "
        "J'ai une échéance cet après-midi.\n\nMerci d'avance,\n{name}\nService {dept}, poste {ext}\n",
        "Bonjour,\n\n{what} et cela bloque toute l'équipe ({count} personnes).\n"
        "Je reste joignable au {ext}.\n\nCordialement,\n{name}\n",
    ],
    "en": [
        "Hello,\n\nSince this morning {what}. I already restarted my computer, no change.\n"
        "The message says: \"error {code}\".\n\nCould you have a look soon? I have a deadline "
        "this afternoon.\n\nThanks,\n{name}\n{dept} team, ext. {ext}\n",
        "Hi,\n\n{what} and it blocks the whole team ({count} people).\n"
        "You can reach me on {ext}.\n\nBest regards,\n{name}\n",
    ],
}
WHAT = {
    "fr": ["rien ne fonctionne", "l'application se ferme toute seule", "je n'ai plus accès",
           "la connexion est refusée", "l'écran reste noir"],
    "en": ["nothing works", "the application closes by itself", "I lost access",
           "the connection is refused", "the screen stays black"],
}
REPLIES = {
    "fr": ["Toujours en panne malgré le redémarrage. Une idée ?",
           "Merci, c'est mieux, mais le problème revient de temps en temps.",
           "Voici la capture d'écran demandée."],
    "en": ["Still broken after the restart. Any idea?",
           "Thanks, better now, but it comes back now and then.",
           "Here is the screenshot you asked for."],
}
DEPTS = ["Compta", "RH", "Ventes", "Logistique", "Direction", "Achats"]
FIRST = ["Alice", "Bruno", "Chloé", "David", "Emma", "Farid", "Giulia", "Hugo", "Inès", "Jules"]
LAST = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Petit", "Durand", "Leroy"]


def header_line(name, value):
    # Non-ASCII header values as RFC 2047 encoded words.
    if value.isascii():
        return f"{name}: {value}\r\n"
    words = base64.b64encode(value.encode()).decode()
    return f"{name}: =?utf-8?b?{words}?=\r\n"


def html_of(text):
    paras = "".join(
        f"<p>{p.replace('&', '&amp;').replace('<', '&lt;').replace(chr(10), '<br>')}</p>"
        for p in text.split("\n\n")
    )
    return (
        "<html><head><style>p{font-family:Calibri}</style></head><body>"
        f'<div class="WordSection1">{paras}</div></body></html>'
    )


def crlf(text):
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("n", type=int)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--to", default="support@example.test")
    ap.add_argument("--ids", default="bench")
    ap.add_argument("--domain", default="requesters.example.test")
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(args.dir, sub), exist_ok=True)
    people = []
    for i in range(max(150, args.n // 5)):
        first, last = rnd.choice(FIRST), rnd.choice(LAST)
        lang = "fr" if i % 2 == 0 else "en"
        people.append((f"{first} {last}", f"{first.lower()}.{last.lower()}{i}@{args.domain}"
                       .replace("é", "e").replace("è", "e").replace("ï", "i").replace("ô", "o")
                       .replace("è", "e"), lang))
    attachment = base64.encodebytes(bytes(rnd.getrandbits(8) for _ in range(100_000))).decode()
    requests = []  # (message id, subject, text, person)
    for n in range(args.n):
        mid = f"{args.ids}{n}@{args.domain}"
        roll = rnd.random()
        date = f"Mon, 30 Nov 2026 {8 + n * 9 // max(args.n, 1):02d}:{n % 60:02d}:00 +0100"
        extra = ""
        if requests and roll < 0.01:
            # An out-of-office answer to one of our acknowledgements.
            first_id, subject, _, (name, email, lang) = rnd.choice(requests)
            subject = ("Absence : " if lang == "fr" else "Out of office: ") + subject
            text = ("Je suis absent jusqu'au 7 décembre." if lang == "fr" else "I am away until 7 December.") + "\n"
            extra = f"Auto-Submitted: auto-replied\r\nIn-Reply-To: <{first_id}>\r\n"
        elif requests and roll < 0.21:
            first_id, subject, first_text, (name, email, lang) = rnd.choice(requests)
            subject = "Re: " + subject
            quoted = "\n".join("> " + line for line in first_text.splitlines())
            text = rnd.choice(REPLIES[lang]) + f"\n\n{name}\n\n" + quoted + "\n"
            extra = f"In-Reply-To: <{first_id}>\r\nReferences: <{first_id}>\r\n"
        else:
            name, email, lang = rnd.choice(people)
            subject = rnd.choice(SUBJECTS[lang]).format(n=rnd.randint(1, 9))
            text = rnd.choice(BODIES[lang]).format(
                what=rnd.choice(WHAT[lang]), code=rnd.randint(10, 999), name=name,
                dept=rnd.choice(DEPTS), ext=rnd.randint(1000, 9999), count=rnd.randint(3, 40))
            requests.append((mid, subject, text, (name, email, lang)))
        head = (header_line("From", f"{name} <{email}>") if name.isascii()
                else header_line("From", name).rstrip("\r\n") + f" <{email}>\r\n")
        head += f"To: {args.to}\r\n" + header_line("Subject", subject)
        head += f"Message-ID: <{mid}>\r\nDate: {date}\r\nMIME-Version: 1.0\r\n" + extra
        plain = ("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                 + crlf(text))
        if rnd.random() < 1 / 3:
            html = ("Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                    + crlf(html_of(text)))
            body = (f"--alt{n}\r\n{plain}\r\n--alt{n}\r\n{html}\r\n--alt{n}--\r\n")
            part = f'Content-Type: multipart/alternative; boundary="alt{n}"\r\n\r\n{body}'
        else:
            part = plain
        if rnd.random() < 0.05:
            mixed = (f"--mix{n}\r\n{part}\r\n--mix{n}\r\n"
                     f'Content-Type: application/pdf; name="rapport-{n}.pdf"\r\n'
                     f'Content-Disposition: attachment; filename="rapport-{n}.pdf"\r\n'
                     "Content-Transfer-Encoding: base64\r\n\r\n"
                     + crlf(attachment) + f"\r\n--mix{n}--\r\n")
            message = head + f'Content-Type: multipart/mixed; boundary="mix{n}"\r\n\r\n' + mixed
        else:
            message = head + part
        path = os.path.join(args.dir, "new", f"{n:07d}.bench.host")
        with open(path, "wb") as f:
            f.write(message.encode())


if __name__ == "__main__":
    main()
