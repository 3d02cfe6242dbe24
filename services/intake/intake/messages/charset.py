"""Text the PDF core fonts can print (WinAnsi/cp1252): transliterated or replaced, never a crash."""

from __future__ import annotations

import re
import unicodedata

from intake.messages.paper import ENCODING

# Letters with no decomposition into a base letter plus accents.
_TRANSLITERATE = str.maketrans(
    {
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "\u0131": "i",
        "ħ": "h",
        "Ħ": "H",
        "ŧ": "t",
        "Ŧ": "T",
        "ŋ": "n",
        "Ŋ": "N",
        "ə": "e",
        "Ə": "E",
        "ĸ": "k",
        "\u017f": "s",
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2212": "-",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
    }
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")


def printable(text: str) -> str:
    """Text the core fonts can print: cp1252 as is, other letters without their accents
    (Ş -> S, ő -> o, ł -> l), anything else as "?"; tabs as spaces, control characters gone."""
    text = unicodedata.normalize("NFC", text.replace("\t", " ").replace("\r\n", "\n"))
    text = _CONTROL.sub("", text.replace("\r", "\n")).translate(_TRANSLITERATE)
    out: list[str] = []
    for ch in text:
        if _encodable(ch):
            out.append(ch)
            continue
        folded = "".join(
            c
            for c in unicodedata.normalize("NFKD", ch)
            if not unicodedata.combining(c) and _encodable(c)
        )
        out.append(folded or "?")
    return "".join(out)


def _encodable(ch: str) -> bool:
    try:
        ch.encode(ENCODING)
    except UnicodeEncodeError:
        return False
    return True
