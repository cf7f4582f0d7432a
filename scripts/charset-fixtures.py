#!/usr/bin/env python3
"""Writes tests/fixtures/charsets/: one mail per charset, its subject and
sender's name as encoded words and its body in that charset, encoded by
Python's standard codecs, and expected.json with the text each should give.

    python3 scripts/charset-fixtures.py
"""
import base64
import json
import os
import quopri
import unicodedata

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "charsets")

# charset: (name, subject, body, body transfer encoding)
TEXTS = {
    "gb2312": ("王小明", "打印机无法打印", "你好，\n三楼的打印机坏了，无法打印。\n谢谢", "base64"),
    "gbk": ("李华", "邮箱无法登录", "您好，\n我的邮箱从昨天起无法登录。\n谢谢", "8bit"),
    "gb18030": ("张伟", "网络连接中断", "你好，\n会议室的网络连接中断了。\n谢谢", "8bit"),
    "big5": ("陳大文", "印表機無法列印", "您好，\n三樓的印表機壞了。\n謝謝", "base64"),
    "iso-2022-jp": ("山田太郎", "プリンターが動きません", "お世話になっております。\n三階のプリンターが動きません。\nよろしくお願いします。", "7bit"),
    "shift_jis": ("佐藤花子", "パスワードを忘れました", "お世話になっております。\nパスワードを忘れてしまいました。", "8bit"),
    "euc-jp": ("鈴木一郎", "メールが届きません", "お世話になっております。\n昨日からメールが届きません。", "8bit"),
    "euc-kr": ("김민수", "프린터가 고장났습니다", "안녕하세요,\n3층 프린터가 고장났습니다.\n감사합니다", "base64"),
    "koi8-r": ("Иван Петров", "Не работает принтер", "Здравствуйте,\nпринтер на третьем этаже не печатает.\nСпасибо", "8bit"),
    "utf-7": ("Zoë Faure", "Accès à la messagerie", "Bonjour,\nje n'ai plus accès à ma messagerie depuis hier.\nMerci", "7bit"),
    "windows-1250": ("Łukasz Żółć", "Drukarka nie działa", "Dzień dobry,\ndrukarka na drugim piętrze nie działa.\nDziękuję", "quoted-printable"),
    "windows-1251": ("Ольга Смирнова", "Нет доступа к почте", "Добрый день,\nу меня нет доступа к почте.\nСпасибо", "8bit"),
    "windows-1252": ("Renée Lefèvre", "Problème d'accès – urgent", "Bonjour,\nle coût de l'écran est de 200 € ; il ne s'allume plus.\nMerci", "quoted-printable"),
    "windows-1253": ("Γιώργος Παπαδόπουλος", "Ο εκτυπωτής δεν λειτουργεί", "Καλημέρα,\nο εκτυπωτής δεν λειτουργεί.\nΕυχαριστώ", "8bit"),
    "windows-1254": ("Ayşe Yılmaz", "Yazıcı çalışmıyor", "Merhaba,\nikinci kattaki yazıcı çalışmıyor.\nTeşekkürler", "8bit"),
    "windows-1255": ("דוד כהן", "המדפסת לא עובדת", "שלום,\nהמדפסת בקומה השנייה לא עובדת.\nתודה", "8bit"),
    "windows-1256": ("محمد علي", "الطابعة لا تعمل", "مرحبا،\nالطابعة في الطابق الثاني لا تعمل.\nشكرا", "8bit"),
    "windows-1257": ("Jonas Žukauskas", "Neveikia spausdintuvas", "Laba diena,\nantrame aukšte neveikia spausdintuvas.\nAčiū", "8bit"),
    "windows-1258": ("Nguyễn Văn An", "Máy in không hoạt động", "Xin chào,\nmáy in ở tầng hai không hoạt động.\nCảm ơn", "8bit"),
    "iso-8859-1": ("François Müller", "Problème d'imprimante", "Bonjour,\nl'imprimante du 2e étage ne répond plus.\nMerci", "quoted-printable"),
    "iso-8859-2": ("Jiří Dvořák", "Tiskárna nefunguje", "Dobrý den,\ntiskárna ve druhém patře nefunguje.\nDěkuji", "8bit"),
    "iso-8859-3": ("Ġorġ Borġ", "Il-printer ma jaħdimx", "Bonġu,\nil-printer fit-tieni sular ma jaħdimx.\nGrazzi", "8bit"),
    "iso-8859-4": ("Jānis Bērziņš", "Printeris nedarbojas", "Labdien,\nprinteris otrajā stāvā nedarbojas.\nPaldies", "8bit"),
    "iso-8859-5": ("Сергей Иванов", "Не работает сеть", "Здравствуйте,\nв переговорной не работает сеть.\nСпасибо", "base64"),
    "iso-8859-6": ("أحمد حسن", "لا يوجد اتصال بالشبكة", "مرحبا،\nلا يوجد اتصال بالشبكة.\nشكرا", "8bit"),
    "iso-8859-7": ("Μαρία Νικολάου", "Πρόβλημα με το email", "Καλημέρα,\nδεν μπορώ να στείλω email.\nΕυχαριστώ", "8bit"),
    "iso-8859-8": ("שרה לוי", "אין גישה לדואר", "שלום,\nאין לי גישה לדואר.\nתודה", "8bit"),
    "iso-8859-9": ("Mehmet Öztürk", "Şifremi unuttum", "Merhaba,\nşifremi unuttum, yardım eder misiniz?\nTeşekkürler", "8bit"),
    "iso-8859-10": ("Sigurður Þórðarson", "Prentarinn virkar ekki", "Góðan dag,\nprentarinn á annarri hæð virkar ekki.\nTakk", "8bit"),
    "iso-8859-11": ("สมชาย ใจดี", "เครื่องพิมพ์เสีย", "สวัสดีครับ\nเครื่องพิมพ์ชั้นสองเสีย\nขอบคุณครับ", "base64"),
    "iso-8859-13": ("Rūta Kazlauskienė", "Neveikia internetas", "Laba diena,\nneveikia internetas.\nAčiū", "8bit"),
    "iso-8859-14": ("Siôn Ŵyn", "Nid yw'r argraffydd yn gweithio", "Bore da,\nnid yw'r argraffydd yn gweithio.\nDiolch", "8bit"),
    "iso-8859-15": ("Zoé Lœuvre", "Écran à 300 € en panne", "Bonjour,\nl'écran à 300 € ne s'allume plus, mon cœur saigne.\nMerci", "quoted-printable"),
    "iso-8859-16": ("Ștefan Țurcanu", "Imprimanta nu funcționează", "Bună ziua,\nimprimanta de la etajul doi nu funcționează.\nMulțumesc", "8bit"),
}


def letters(d):
    """The letters windows-1258 has that a base and one of its marks make."""
    for i in range(1, len(d)):
        c = unicodedata.normalize("NFC", d[0] + d[i])
        try:
            if len(c) == 1:
                c.encode("cp1258")
                yield i, c
        except UnicodeEncodeError:
            pass


def encode(text, charset):
    if charset == "windows-1258":
        # windows-1258 has the letters (â, ơ, ư…) but writes the tones as
        # combining marks after them.
        out = ""
        for ch in text:
            try:
                ch.encode("cp1258")
                out += ch
            except UnicodeEncodeError:
                d = unicodedata.normalize("NFD", ch)
                out += next((c + d[1:i] + d[i + 1 :] for i, c in letters(d)), d)
        text = out
    return text.encode(charset), text


def word(text, charset, kind):
    data, _ = encode(text, charset)
    if kind == "B":
        return "=?%s?B?%s?=" % (charset, base64.b64encode(data).decode())
    q = "".join(
        chr(b) if (48 <= b <= 57 or 65 <= b <= 90 or 97 <= b <= 122) else ("_" if b == 32 else "=%02X" % b)
        for b in data
    )
    return "=?%s?Q?%s?=" % (charset, q)


def main():
    os.makedirs(HERE, exist_ok=True)
    expected = {}
    for n, (charset, (name, subject, body, cte)) in enumerate(sorted(TEXTS.items())):
        kind = "B" if n % 2 else "Q"
        # ISO-2022-JP words are always B in practice: Q would split escapes.
        if charset == "iso-2022-jp":
            kind = "B"
        data, body_text = encode(body.replace("\n", "\r\n") + "\r\n", charset)
        if cte == "base64":
            payload = base64.encodebytes(data).replace(b"\n", b"\r\n")
        elif cte == "quoted-printable":
            payload = quopri.encodestring(data).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        else:
            payload = data
        slug = charset.replace("_", "-")
        head = (
            "From: %s <requester-%s@example.test>\r\n"
            "To: support@example.test\r\n"
            "Subject: %s\r\n"
            "Message-ID: <charset-%s@example.test>\r\n"
            "Date: Mon, 16 Nov 2026 09:00:00 +0100\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=%s\r\n"
            "Content-Transfer-Encoding: %s\r\n\r\n"
            % (word(name, charset, kind), slug, word(subject, charset, kind), slug, charset, cte)
        )
        with open(os.path.join(HERE, slug + ".eml"), "wb") as f:
            f.write(head.encode("ascii") + payload)
        _, name_text = encode(name, charset)
        _, subject_text = encode(subject, charset)
        expected[slug] = {
            "charset": charset,
            "name": name_text,
            "subject": subject_text,
            "body": body_text.replace("\r\n", "\n").rstrip("\n"),
        }
    with open(os.path.join(HERE, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
