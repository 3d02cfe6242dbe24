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
from dataclasses import dataclass
from typing import Literal

from babel.dates import format_date
from fpdf import FPDF

from intake.messages.charset import printable
from intake.messages.paper import (
    A4_WIDTH_MM,
    ADDRESS_FIELD_TOP_MM,
    ADDRESS_FIELD_WIDTH_MM,
    ADDRESS_LINE_MM,
    ADDRESS_PT,
    BODY_LINE_MM,
    BODY_PT,
    BODY_TOP_MM,
    BOTTOM_MARGIN_MM,
    BULLET_INDENT_MM,
    CONTINUATION_TOP_MM,
    ENCODING,
    FOLD_SECOND_MM,
    FOLD_TOP_PANEL_MM,
    FONT,
    FOOTER_BASELINE_MM,
    LABEL_WIDTH_MM,
    LEFT_MARGIN_MM,
    LETTERHEAD_TOP_MM,
    NAME_MAX_LINES,
    PUNCH_MARK_MM,
    REFERENCE_TOP_MM,
    RETURN_GAP_MM,
    RETURN_LINE_MM,
    RETURN_MIN_PT,
    RETURN_PT,
    RIGHT_MARGIN_MM,
    SENDER_COLUMN_LEFT_MM,
    STREET_MAX_LINES,
    TEXT_WIDTH_MM,
)
from shared.bsn import contains_bsn
from shared.reference import InvalidPostcodeError, normalize_postcode

Language = Literal["nl", "en"]

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
