"""PDF letters for the paper channel: A4, Dutch business-letter layout, window-envelope address.

`render_letter(letter)` lays out one letter (pure: no I/O, same letter -> same bytes). The layout
follows NEN 1026 practice: every block flush left on one margin, the recipient's address where
the window of the envelope shows it, the sender's details in a column to the right of it, a
reference block (date, reference, subject) under the window, then the body, the closing and an
enclosures note. Core fonts only (Helvetica, WinAnsi/cp1252 encoding: Dutch diacritics, the euro
sign and typographic quotes print as themselves); anything outside cp1252 is transliterated or
replaced, never a crash.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from babel.dates import format_date
from fpdf import FPDF

from shared.bsn import contains_bsn
from shared.reference import InvalidPostcodeError, normalize_postcode

Language = Literal["nl", "en"]

# --- Paper ----------------------------------------------------------------------------------
A4_WIDTH_MM = 210.0
A4_HEIGHT_MM = 297.0
# An A4 folded in three for a window envelope (DIN 676 / NEN 1026 fold marks): the top panel,
# the one behind the window, is 105 mm high; the second fold is at 210 mm.
FOLD_TOP_PANEL_MM = 105.0
FOLD_SECOND_MM = 210.0
PUNCH_MARK_MM = A4_HEIGHT_MM / 2


@dataclass(frozen=True, slots=True)
class WindowEnvelope:
    """A window envelope for a tri-folded A4 (millimetres; the window measured from the envelope's
    left and bottom edges, the way envelope makers specify it)."""

    name: str
    width_mm: float
    height_mm: float
    window_left_mm: float
    window_bottom_mm: float
    window_width_mm: float
    window_height_mm: float

    @property
    def window_top_mm(self) -> float:
        """Top edge of the window, from the top of the envelope."""
        return self.height_mm - self.window_bottom_mm - self.window_height_mm

    def visible_on_page(self) -> tuple[float, float, float, float]:
        """(left, top, right, bottom) of the part of the page that shows through the window
        wherever the folded letter lies in the envelope: it can slide right by
        `width - 210` mm and down by `height - 105` mm."""
        play_x = self.width_mm - A4_WIDTH_MM
        play_y = self.height_mm - FOLD_TOP_PANEL_MM
        return (
            self.window_left_mm,
            self.window_top_mm,
            self.window_left_mm + self.window_width_mm - play_x,
            self.window_top_mm + self.window_height_mm - play_y,
        )


# The envelopes Dutch offices post A4 letters in: EA5/6 (110 x 220 mm, the DL size, sold in the
# Netherlands as "EA5/6 venster links") and C5/6 (114 x 229 mm), both with the left address
# window of ISO 269 / DIN 680: 90 x 45 mm, 20 mm from the left edge and 15 mm from the bottom
# edge. PostNL asks for the address wholly and only in the window, left-aligned, nothing else
# in it but an optional return line above it. Source: DIN 680 window positions for DL and
# C6/5 (the same window in both); the agency's envelope supplier has the final word: if their
# window differs, change these constants (a layout change, not a code change).
ENVELOPE_EA5_6 = WindowEnvelope("EA5/6 (DL) venster links", 220, 110, 20, 15, 90, 45)
ENVELOPE_C5_6 = WindowEnvelope("C5/6 venster links", 229, 114, 20, 15, 90, 45)
ENVELOPES = (ENVELOPE_EA5_6, ENVELOPE_C5_6)

# Keep the text this far inside the always-visible area: the fold is never exact.
ADDRESS_CLEARANCE_MM = 2.0


def _address_field() -> tuple[float, float, float, float]:
    areas = [e.visible_on_page() for e in ENVELOPES]
    c = ADDRESS_CLEARANCE_MM
    return (
        max(a[0] for a in areas) + c,
        max(a[1] for a in areas) + c,
        min(a[2] for a in areas) - c,
        min(a[3] for a in areas) - c,
    )


# The address field on the page (mm from the page's left and top edges): visible through the
# window of every envelope above in every position the letter can take (x 22..89, y 56..88).
ADDRESS_FIELD_LEFT_MM, ADDRESS_FIELD_TOP_MM, ADDRESS_FIELD_RIGHT_MM, ADDRESS_FIELD_BOTTOM_MM = (
    _address_field()
)
ADDRESS_FIELD_WIDTH_MM = ADDRESS_FIELD_RIGHT_MM - ADDRESS_FIELD_LEFT_MM

# --- Margins and type -----------------------------------------------------------------------
LEFT_MARGIN_MM = ADDRESS_FIELD_LEFT_MM  # one left margin for every block (NEN 1026: flush left)
RIGHT_MARGIN_MM = 20.0
TEXT_WIDTH_MM = A4_WIDTH_MM - LEFT_MARGIN_MM - RIGHT_MARGIN_MM
LETTERHEAD_TOP_MM = 15.0
SENDER_COLUMN_LEFT_MM = 130.0  # right of every window (the windows end at 110 mm)
REFERENCE_TOP_MM = 100.0  # under every window (the lowest window edge is at 99 mm)
BODY_TOP_MM = 122.0
CONTINUATION_TOP_MM = 30.0
BOTTOM_MARGIN_MM = 25.0
FOOTER_BASELINE_MM = A4_HEIGHT_MM - 12.0
FONT = "helvetica"
BODY_PT = 10.0
BODY_LINE_MM = 5.0
ADDRESS_PT = 10.0
ADDRESS_LINE_MM = 4.5
RETURN_PT = 7.0
RETURN_MIN_PT = 5.5
RETURN_LINE_MM = 3.5
RETURN_GAP_MM = 1.0
LABEL_WIDTH_MM = 30.0
BULLET_INDENT_MM = 5.0

# How many lines each part of the address may take; their sum must fit the field.
NAME_MAX_LINES = 2
STREET_MAX_LINES = 2
ADDRESS_MAX_LINES = NAME_MAX_LINES + STREET_MAX_LINES + 2  # + postcode/city + country
if (
    RETURN_LINE_MM + RETURN_GAP_MM + ADDRESS_MAX_LINES * ADDRESS_LINE_MM
    > ADDRESS_FIELD_BOTTOM_MM - ADDRESS_FIELD_TOP_MM
):  # pragma: no cover - a guard on the constants above
    raise RuntimeError("the address lines do not fit the window")

LABELS: dict[str, dict[str, str]] = {
    "nl": {
        "date": "Datum",
        "reference": "Kenmerk",
        "subject": "Onderwerp",
        "closing": "Met vriendelijke groet,",
        "attachments": "Bijlage",
        "page": "Pagina {page} van {pages}",
        "return": "Retouradres",
        "phone": "Telefoon",
        "email": "E-mail",
        "locale": "nl_NL",
        "lang": "nl-NL",
    },
    "en": {
        "date": "Date",
        "reference": "Our reference",
        "subject": "Subject",
        "closing": "Kind regards,",
        "attachments": "Enclosure",
        "page": "Page {page} of {pages}",
        "return": "Return address",
        "phone": "Phone",
        "email": "Email",
        "locale": "en_GB",
        "lang": "en-GB",
    },
}
_DOMESTIC = {"nl", "nld", "nederland", "the netherlands", "netherlands", "holland"}


class LetterError(ValueError):
    """The letter cannot be printed as given (a BSN in it, an unusable address)."""


@dataclass(frozen=True, slots=True)
class Sender:
    """The office that sends the letter (its visiting address is the return address)."""

    office_name: str
    street: str
    house_number: str
    postcode: str
    city: str
    phone: str
    email: str


@dataclass(frozen=True, slots=True)
class Recipient:
    """The address block. `country` None (or the Netherlands) prints no country line."""

    name: str
    street: str  # street and house number, as one line
    postcode: str
    city: str
    country: str | None = None

    @property
    def domestic(self) -> bool:
        """True when the letter stays in the Netherlands."""
        return self.country is None or self.country.strip().lower() in _DOMESTIC


@dataclass(frozen=True, slots=True)
class Letter:
    """One letter: `reference` is our reference code (e.g. "M-1A2B3C"; the layout prints the label
    "Kenmerk" / "Our reference", and drops one given in front), never a BSN. `body` is plain text: paragraphs
    separated by blank lines, list items as lines starting with "- "."""

    sender: Sender
    recipient: Recipient
    date: dt.date
    reference: str
    subject: str
    body: str
    language: Language = "nl"
    attachments: str | None = None


# --- Characters -----------------------------------------------------------------------------
ENCODING = "cp1252"  # the core fonts' WinAnsiEncoding
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


# --- Layout ---------------------------------------------------------------------------------
class _LetterPDF(FPDF):
    def __init__(self, letter: Letter, labels: dict[str, str], *, numbered: bool) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.core_fonts_encoding = ENCODING
        # No cell padding: text starts exactly at the margin and the address field's edge, and a
        # width we measure is the width printed.
        self.c_margin = 0
        self.letter = letter
        self.labels = labels
        self.numbered = numbered
        self.set_margins(LEFT_MARGIN_MM, CONTINUATION_TOP_MM, RIGHT_MARGIN_MM)
        self.set_auto_page_break(True, margin=BOTTOM_MARGIN_MM)
        self.alias_nb_pages()

    def header(self) -> None:
        if self.page == 1:
            return
        # Continuation pages say whose letter they belong to, for the print room and the reader.
        self.set_font(FONT, "", 8)
        self.set_text_color(90)
        self.set_xy(LEFT_MARGIN_MM, 15)
        line = (
            f"{printable(self.letter.sender.office_name)}  |  {self.labels['reference']} "
            f"{printable(_reference_value(self.letter.reference, self.labels))}  |  "
            f"{_format_date(self.letter, self.labels)}"
        )
        self.cell(TEXT_WIDTH_MM, 4, _cut(self, line, TEXT_WIDTH_MM))
        self.set_text_color(0)
        self.set_xy(LEFT_MARGIN_MM, CONTINUATION_TOP_MM)

    def footer(self) -> None:
        if not self.numbered:
            return
        self.set_font(FONT, "", 8)
        self.set_xy(LEFT_MARGIN_MM, FOOTER_BASELINE_MM - 3)
        text = self.labels["page"].format(page=self.page_no(), pages=self.str_alias_nb_pages)
        self.cell(TEXT_WIDTH_MM, 4, text, align="R")


def render_letter(letter: Letter) -> bytes:
    """The letter as a PDF (A4, window-envelope address block; "Pagina 1 van 2" when longer)."""
    labels = LABELS.get(letter.language)
    if labels is None:
        raise LetterError(f"language must be nl or en, not {letter.language!r}")
    _refuse_bsn(letter)
    address = _address_lines(letter.recipient)
    pdf = _layout(letter, labels, address, numbered=False)
    if pdf.page > 1:
        # Page numbers only on letters of more than one page; the footer sits in the bottom
        # margin, so numbering does not move anything and the second pass has the same pages.
        pdf = _layout(letter, labels, address, numbered=True)
    return bytes(pdf.output())


def _refuse_bsn(letter: Letter) -> None:
    r, s = letter.recipient, letter.sender
    fields = {
        "reference": letter.reference,
        "subject": letter.subject,
        "body": letter.body,
        "attachments": letter.attachments or "",
        "recipient": "\n".join([r.name, r.street, r.postcode, r.city, r.country or ""]),
        "sender": "\n".join([s.office_name, s.street, s.house_number, s.postcode, s.city]),
    }
    for name, value in fields.items():
        if contains_bsn(value):
            raise LetterError(f"a letter never carries a BSN (found one in {name})")


def _address_lines(recipient: Recipient) -> list[tuple[str, int]]:
    """(text, max lines) of each part of the address block, in PostNL's order and form."""
    name, street = (" ".join(t.split()) for t in (recipient.name, recipient.street))
    city = " ".join(recipient.city.split())
    if recipient.domestic:
        try:
            postcode = normalize_postcode(recipient.postcode)
        except InvalidPostcodeError as exc:
            raise LetterError("recipient postcode is not a Dutch postcode") from exc
        # PostNL: postcode, two spaces, the place in capitals.
        place = f"{postcode}  {city.upper()}"
        parts = [(name, NAME_MAX_LINES), (street, STREET_MAX_LINES), (place, 1)]
    else:
        place = f"{' '.join(recipient.postcode.split())} {city}".strip()
        country = " ".join((recipient.country or "").split()).upper()
        parts = [(name, NAME_MAX_LINES), (street, STREET_MAX_LINES), (place, 1), (country, 1)]
    out = [(printable(t), n) for t, n in parts]
    if not out[0][0] or not out[1][0]:
        raise LetterError("recipient needs a name and a street line")
    return out


def _format_date(letter: Letter, labels: dict[str, str]) -> str:
    return format_date(letter.date, "d MMMM y", locale=labels["locale"])


def _layout(
    letter: Letter, labels: dict[str, str], address: list[tuple[str, int]], *, numbered: bool
) -> _LetterPDF:
    pdf = _LetterPDF(letter, labels, numbered=numbered)
    s = letter.sender
    pdf.set_title(printable(" ".join(letter.subject.split())))
    pdf.set_author(printable(s.office_name))  # the office, never the claimant
    pdf.set_creator("WW case handling (intake)")
    pdf.set_lang(labels["lang"])
    # A fixed creation date keeps the bytes (and the file id derived from them) reproducible.
    pdf.set_creation_date(dt.datetime.combine(letter.date, dt.time(0, 0), tzinfo=dt.UTC))
    pdf.add_page()
    _marks(pdf)
    _letterhead(pdf, s, labels)
    _address_block(pdf, s, labels, address)
    _reference_block(pdf, letter, labels)
    _body(pdf, letter, labels)
    return pdf


def _marks(pdf: FPDF) -> None:
    """Fold marks (105 and 210 mm) and a punch mark in the left margin of page 1."""
    pdf.set_draw_color(150)
    pdf.set_line_width(0.2)
    for y, length in ((FOLD_TOP_PANEL_MM, 5), (FOLD_SECOND_MM, 5), (PUNCH_MARK_MM, 8)):
        pdf.line(3, y, 3 + length, y)
    pdf.set_draw_color(0)


def _letterhead(pdf: FPDF, s: Sender, labels: dict[str, str]) -> None:
    pdf.set_xy(LEFT_MARGIN_MM, LETTERHEAD_TOP_MM)
    pdf.set_font(FONT, "B", 16)
    pdf.cell(TEXT_WIDTH_MM, 8, _cut(pdf, printable(s.office_name), TEXT_WIDTH_MM))
    width = A4_WIDTH_MM - RIGHT_MARGIN_MM - SENDER_COLUMN_LEFT_MM
    lines = [
        (printable(s.office_name), "B"),
        (printable(f"{s.street} {s.house_number}"), ""),
        (printable(f"{_postcode(s.postcode)}  {s.city}"), ""),
        ("", ""),
        (printable(f"{labels['phone']} {s.phone}"), ""),
        (printable(f"{labels['email']} {s.email}"), ""),
    ]
    y = ADDRESS_FIELD_TOP_MM
    for text, style in lines:
        pdf.set_font(FONT, style, 8.5)
        pdf.set_xy(SENDER_COLUMN_LEFT_MM, y)
        pdf.cell(width, 4, _cut(pdf, text, width))
        y += 4


def _postcode(value: str) -> str:
    try:
        return normalize_postcode(value)
    except InvalidPostcodeError:
        return value.strip()


def _address_block(
    pdf: FPDF, s: Sender, labels: dict[str, str], address: list[tuple[str, int]]
) -> None:
    width = ADDRESS_FIELD_WIDTH_MM
    ret = printable(
        f"{labels['return']}: {s.office_name}, {s.street} {s.house_number}, "
        f"{_postcode(s.postcode)} {s.city}"
    )
    size = RETURN_PT
    pdf.set_font(FONT, "", size)
    while pdf.get_string_width(ret) > width and size > RETURN_MIN_PT:
        size -= 0.5
        pdf.set_font(FONT, "", size)
    y = ADDRESS_FIELD_TOP_MM
    pdf.set_xy(LEFT_MARGIN_MM, y)
    pdf.cell(width, RETURN_LINE_MM, _cut(pdf, ret, width))
    y += RETURN_LINE_MM + RETURN_GAP_MM
    pdf.set_font(FONT, "", ADDRESS_PT)
    for text, max_lines in address:
        for line in _wrap(pdf, text, width, max_lines):
            pdf.set_xy(LEFT_MARGIN_MM, y)
            pdf.cell(width, ADDRESS_LINE_MM, line)
            y += ADDRESS_LINE_MM


def _reference_block(pdf: FPDF, letter: Letter, labels: dict[str, str]) -> None:
    rows = [
        (labels["date"], _format_date(letter, labels), ""),
        (labels["reference"], printable(_reference_value(letter.reference, labels)), ""),
    ]
    y = REFERENCE_TOP_MM
    for label, value, style in rows:
        pdf.set_xy(LEFT_MARGIN_MM, y)
        pdf.set_font(FONT, "", 8.5)
        pdf.set_text_color(90)
        pdf.cell(LABEL_WIDTH_MM, 5, label)
        pdf.set_text_color(0)
        pdf.set_font(FONT, style, BODY_PT)
        pdf.cell(
            TEXT_WIDTH_MM - LABEL_WIDTH_MM, 5, _cut(pdf, value, TEXT_WIDTH_MM - LABEL_WIDTH_MM)
        )
        y += 5
    pdf.set_xy(LEFT_MARGIN_MM, y)
    pdf.set_font(FONT, "", 8.5)
    pdf.set_text_color(90)
    pdf.cell(LABEL_WIDTH_MM, 5, labels["subject"])
    pdf.set_text_color(0)
    pdf.set_font(FONT, "B", BODY_PT)
    pdf.multi_cell(
        TEXT_WIDTH_MM - LABEL_WIDTH_MM,
        5,
        printable(" ".join(letter.subject.split())),
        new_x="LMARGIN",
    )
    pdf.set_y(max(pdf.get_y() + 5, BODY_TOP_MM))


def _reference_value(reference: str, labels: dict[str, str]) -> str:
    """The reference without a label the caller may have put in front ("Kenmerk: M-1A2B3C")."""
    value = " ".join(reference.split())
    for label in {labels["reference"], "Kenmerk", "Our reference", "Reference"}:
        if value.lower().startswith(label.lower() + ":"):
            return value[len(label) + 1 :].strip()
    return value


def _paragraphs(body: str) -> list[list[str]]:
    text = printable(body).strip("\n")
    paragraphs = [p for p in re.split(r"\n[ ]*\n", text) if p.strip()]
    return [[line.rstrip() for line in p.strip("\n").split("\n")] for p in paragraphs]


def _has_closing(paragraphs: list[list[str]], labels: dict[str, str]) -> bool:
    """True when the body already ends with the closing (an e-mail text reused as the body)."""
    phrase = labels["closing"].rstrip(",").lower()
    tail = paragraphs[-2:] if paragraphs else []
    return any(p and p[0].strip().lower().startswith(phrase) for p in tail)


def _body(pdf: FPDF, letter: Letter, labels: dict[str, str]) -> None:
    pdf.set_font(FONT, "", BODY_PT)
    paragraphs = _paragraphs(letter.body)
    for i, paragraph in enumerate(paragraphs):
        if i:
            pdf.ln(BODY_LINE_MM * 0.6)
        for line in paragraph:
            stripped = line.lstrip()
            if stripped.startswith("- "):
                # A hanging bullet: the bullet in the margin of the item, wrapped lines aligned.
                if pdf.will_page_break(BODY_LINE_MM):
                    pdf.add_page()
                pdf.set_x(LEFT_MARGIN_MM)
                pdf.cell(BULLET_INDENT_MM, BODY_LINE_MM, "\u2022")
                pdf.multi_cell(
                    TEXT_WIDTH_MM - BULLET_INDENT_MM,
                    BODY_LINE_MM,
                    stripped[2:].strip(),
                    new_x="LMARGIN",
                    new_y="NEXT",
                )
            else:
                pdf.set_x(LEFT_MARGIN_MM)
                pdf.multi_cell(
                    TEXT_WIDTH_MM, BODY_LINE_MM, line or " ", new_x="LMARGIN", new_y="NEXT"
                )
    closing: list[str] = []
    if not _has_closing(paragraphs, labels):
        closing = [labels["closing"], "", printable(letter.sender.office_name)]
    enclosure = []
    if letter.attachments and letter.attachments.strip():
        enclosure = [f"{labels['attachments']}: {printable(' '.join(letter.attachments.split()))}"]
    tail_lines = len(closing) + (len(enclosure) + 1 if enclosure else 0)
    if tail_lines:
        pdf.ln(BODY_LINE_MM)
        # Keep the closing (and the enclosure note) together, on the page of the body's end.
        if pdf.will_page_break(tail_lines * BODY_LINE_MM):
            pdf.add_page()
    for line in closing:
        pdf.set_x(LEFT_MARGIN_MM)
        pdf.multi_cell(TEXT_WIDTH_MM, BODY_LINE_MM, line or " ", new_x="LMARGIN", new_y="NEXT")
    if enclosure:
        pdf.ln(BODY_LINE_MM)
        pdf.set_font(FONT, "", 8.5)
        pdf.multi_cell(TEXT_WIDTH_MM, BODY_LINE_MM, enclosure[0], new_x="LMARGIN", new_y="NEXT")


# --- Fitting text ---------------------------------------------------------------------------
def _cut(pdf: FPDF, text: str, width: float) -> str:
    """The longest prefix of `text` that fits `width` in the current font."""
    if pdf.get_string_width(text) <= width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if pdf.get_string_width(text[:mid]) <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip()


def _wrap(pdf: FPDF, text: str, width: float, max_lines: int) -> list[str]:
    """Word-wrap `text` into at most `max_lines` lines of `width`; a word longer than a line is
    split, and what does not fit in the last line is cut off (never printed outside the field)."""
    if pdf.get_string_width(text) <= width:
        return [text] if text else []  # as given (the two spaces after a postcode stay)
    words = text.split()
    lines: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current} {word}" if current else word
        if pdf.get_string_width(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while pdf.get_string_width(word) > width:
            head = _cut(pdf, word, width) or word[:1]
            lines.append(head)
            word = word[len(head) :]
        current = word
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        last = " ".join(lines[max_lines - 1 :])
        lines = [*lines[: max_lines - 1], _cut(pdf, last, width)]
    return lines
