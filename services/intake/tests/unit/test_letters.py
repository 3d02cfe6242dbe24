"""PDF letters (issue 14, paper channel): valid PDFs, the address block where the window shows
it (positions read back from the PDF with pypdf), page numbers, safe text, no BSN."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import itertools
from dataclasses import dataclass

import pypdf
import pytest
from fpdf import FPDF
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.messages import paper as L
from intake.messages.charset import printable
from intake.messages.letters import Letter, LetterError, Recipient, Sender, render_letter
from tests.support.bsn_scan import needles, scan

SENDER = Sender(
    office_name="UWV Amsterdam",
    street="Karspeldreef",
    house_number="16",
    postcode="1102 BR",
    city="Amsterdam",
    phone="088 898 92 94",
    email="ww.amsterdam@uwv.nl",
)
RECIPIENT = Recipient(
    name="Eva Jansen", street="Dorpsstraat 12 A", postcode="1011ab", city="Amsterdam"
)
BODY = (
    "Beste Eva,\n\n"
    "U heeft een afspraak voor een intakegesprek op maandag 14 december 2026 om 09:30.\n\n"
    "Neem mee:\n- uw identiteitsbewijs\n- uw cv, als u dat heeft\n\n"
    "Kunt u niet komen? Bel ons op 088 898 92 94."
)
BSN = "111222333"  # passes the 11-proef; it must never reach a letter


def _letter(**changes: object) -> Letter:
    base = Letter(
        sender=SENDER,
        recipient=RECIPIENT,
        date=dt.date(2026, 12, 7),
        reference="M-1A2B3C",
        subject="Uitnodiging voor uw intakegesprek",
        body=BODY,
        language="nl",
        attachments="Afspraak voor uw agenda",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Run:
    """A piece of text drawn on a page, with its box in mm from the page's top-left corner."""

    text: str
    left: float
    right: float
    top: float
    bottom: float
    size: float


PT = 25.4 / 72
_METRICS = FPDF(unit="mm")
_METRICS.core_fonts_encoding = L.ENCODING


def _runs(pdf: bytes, page: int = 0) -> list[Run]:
    """Every text run on a page with its box: position from the text and current matrices as the
    PDF states them, width from Helvetica's metrics, height from its ascender and descender."""
    out: list[Run] = []

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if not text.strip():
            return
        # pypdf puts a space before a run that continues a line; the run starts at its Td.
        text = text.strip()
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = (cm[3] if cm[3] else 1.0) * (tm[3] if tm[3] else 1.0)
        fs = size * abs(scale)
        bold = "Bold" in str(font.get("/BaseFont", "")) if isinstance(font, dict) else False
        _METRICS.set_font("helvetica", "B" if bold else "", fs)
        baseline = L.A4_HEIGHT_MM - y * PT
        left = x * PT
        out.append(
            Run(
                text=text,
                left=left,
                right=left + _METRICS.get_string_width(text),
                top=baseline - 0.718 * fs * PT,  # Helvetica ascender 718/1000
                bottom=baseline + 0.207 * fs * PT,  # and descender 207/1000
                size=fs,
            )
        )

    pypdf.PdfReader(io.BytesIO(pdf)).pages[page].extract_text(visitor_text=visit)
    return out


def _text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)


EPS = 0.01  # mm; the PDF states positions to 0.01 pt (0.0035 mm)


def _inside(run: Run, left: float, top: float, right: float, bottom: float) -> bool:
    return (
        left - EPS <= run.left
        and run.right <= right + EPS
        and top - EPS <= run.top
        and run.bottom <= bottom + EPS
    )


def _address_runs(pdf: bytes) -> list[Run]:
    runs = _runs(pdf)
    start = next(i for i, r in enumerate(runs) if r.text.startswith("Retouradres"))
    return runs[
        start : start
        + 1
        + next(i for i, r in enumerate(runs[start + 1 :]) if r.text.startswith("Datum"))
    ]


def test_the_letter_is_a_valid_pdf_with_the_recipient_lines() -> None:
    pdf = render_letter(_letter())
    assert pdf.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(pdf), strict=True)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width) * PT), round(float(box.height) * PT)) == (210, 297)
    text = _text(pdf)
    for line in ("Eva Jansen", "Dorpsstraat 12 A", "1011 AB", "AMSTERDAM", "Kenmerk", "M-1A2B3C"):
        assert line in text
    assert "7 december 2026" in text
    assert "Onderwerp" in text
    assert "Uitnodiging voor uw intakegesprek" in text
    assert "Met vriendelijke groet," in text
    assert "Bijlage: Afspraak voor uw agenda" in text
    assert "Pagina" not in text  # one page: no page numbers


def test_the_postcode_line_follows_postnl() -> None:
    """Postcode as 1234 AB, two spaces, the place in capitals; no country line at home."""
    runs = _address_runs(render_letter(_letter()))
    assert [r.text for r in runs[1:]] == ["Eva Jansen", "Dorpsstraat 12 A", "1011 AB  AMSTERDAM"]


def test_the_address_field_is_inside_every_window_wherever_the_letter_lies() -> None:
    field = (
        L.ADDRESS_FIELD_LEFT_MM,
        L.ADDRESS_FIELD_TOP_MM,
        L.ADDRESS_FIELD_RIGHT_MM,
        L.ADDRESS_FIELD_BOTTOM_MM,
    )
    assert field == (22.0, 56.0, 89.0, 88.0)
    for env in L.ENVELOPES:
        play_x = env.width_mm - L.A4_WIDTH_MM
        play_y = env.height_mm - L.FOLD_TOP_PANEL_MM
        assert play_x >= 0
        assert play_y >= 0
        for dx in (0.0, play_x):
            for dy in (0.0, play_y):
                # The field as it lies on the envelope when the letter slid by (dx, dy).
                assert env.window_left_mm <= field[0] + dx
                assert field[2] + dx <= env.window_left_mm + env.window_width_mm
                assert env.window_top_mm <= field[1] + dy
                assert field[3] + dy <= env.window_top_mm + env.window_height_mm


def test_the_address_block_lies_in_the_window_and_nothing_else_does() -> None:
    pdf = render_letter(_letter())
    runs = _runs(pdf)
    address = _address_runs(pdf)
    assert address[0].text.startswith("Retouradres: UWV Amsterdam, Karspeldreef 16, 1102 BR")
    assert address[0].size < address[1].size  # the return line is smaller than the address
    field = (
        L.ADDRESS_FIELD_LEFT_MM,
        L.ADDRESS_FIELD_TOP_MM,
        L.ADDRESS_FIELD_RIGHT_MM,
        L.ADDRESS_FIELD_BOTTOM_MM,
    )
    for run in address:
        assert _inside(run, *field), run
    # Lines do not overlap and run top to bottom.
    for upper, lower in itertools.pairwise(address):
        assert upper.bottom <= lower.top + 0.01
    # Nothing else on the page shows through any window in any position of the letter.
    others = [r for r in runs if r not in address]
    for env in L.ENVELOPES:
        play_x = env.width_mm - L.A4_WIDTH_MM
        play_y = env.height_mm - L.FOLD_TOP_PANEL_MM
        # The page area that can ever be seen through this window.
        seen = (
            env.window_left_mm - play_x,
            env.window_top_mm - play_y,
            env.window_left_mm + env.window_width_mm,
            env.window_top_mm + env.window_height_mm,
        )
        for run in others:
            apart = (
                run.right <= seen[0]
                or run.left >= seen[2]
                or run.bottom <= seen[1]
                or run.top >= seen[3]
            )
            assert apart, (env.name, run)


def test_a_long_name_and_street_wrap_within_the_window_and_are_cut_safely() -> None:
    long_name = "Maria Magdalena Johanna Wilhelmina van den Heuvel-Oppenheimer tot Wassenaar " * 3
    long_street = (
        "Burgemeester Baron van Voerst van Lyndenstraat 1234 A bis, tweede verdieping achter"
    )
    word = "X" * 200  # one "word" wider than the window
    for name, street in ((long_name, long_street), (word, word)):
        pdf = render_letter(
            _letter(recipient=dataclasses.replace(RECIPIENT, name=name, street=street))
        )
        address = _address_runs(pdf)
        lines = address[1:]
        assert len(lines) == L.NAME_MAX_LINES + L.STREET_MAX_LINES + 1
        for run in address:
            assert _inside(
                run,
                L.ADDRESS_FIELD_LEFT_MM,
                L.ADDRESS_FIELD_TOP_MM,
                L.ADDRESS_FIELD_RIGHT_MM,
                L.ADDRESS_FIELD_BOTTOM_MM,
            ), run
        assert lines[-1].text == "1011 AB  AMSTERDAM"  # the postcode line is never lost
    pdf = render_letter(_letter(recipient=dataclasses.replace(RECIPIENT, name=long_name)))
    texts = [r.text for r in _address_runs(pdf)[1:]]
    assert texts[0].startswith("Maria Magdalena")
    assert " ".join(texts[:2]) in " ".join(long_name.split())  # wrapped on words, then cut


def test_an_address_abroad_gets_a_country_line_in_capitals() -> None:
    abroad = Recipient(
        name="Eva Jansen", street="Rue Haute 5", postcode="1000", city="Bruxelles", country="België"
    )
    lines = [r.text for r in _address_runs(render_letter(_letter(recipient=abroad)))[1:]]
    assert lines == ["Eva Jansen", "Rue Haute 5", "1000 Bruxelles", "BELGIË"]
    home = dataclasses.replace(RECIPIENT, country="Nederland")
    assert "NEDERLAND" not in _text(render_letter(_letter(recipient=home)))


def test_a_long_letter_gets_page_numbers_on_every_page() -> None:
    body = (
        BODY
        + "\n\n"
        + "\n\n".join(
            f"Alinea {i}: " + "Dit is een zin over uw rechten en plichten bij de WW. " * 6
            for i in range(40)
        )
    )
    pdf = render_letter(_letter(body=body))
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    n = len(reader.pages)
    assert n >= 2
    for i, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert f"Pagina {i} van {n}" in text
        if i > 1:  # continuation pages say whose letter they are
            assert "Kenmerk M-1A2B3C" in text
    assert "Met vriendelijke groet," in reader.pages[-1].extract_text()
    # The page number stays in the bottom margin, under the body.
    for i in range(n):
        runs = _runs(pdf, i)
        number = next(r for r in runs if r.text.startswith("Pagina"))
        assert number.right <= L.A4_WIDTH_MM - L.RIGHT_MARGIN_MM + 0.01
        assert all(r.bottom < number.top for r in runs if r is not number)
    english = render_letter(_letter(body=body, language="en"))
    assert f"Page 1 of {len(pypdf.PdfReader(io.BytesIO(english)).pages)}" in _text(english)


def test_english_labels() -> None:
    text = _text(render_letter(_letter(language="en", subject="Invitation to your intake meeting")))
    for label in (
        "Date",
        "7 December 2026",
        "Our reference",
        "Subject",
        "Kind regards,",
        "Enclosure:",
    ):
        assert label in text
    assert "Return address: UWV Amsterdam" in text
    for dutch in ("Datum", "Kenmerk", "Onderwerp", "Met vriendelijke groet"):
        assert dutch not in text
    with pytest.raises(LetterError):
        render_letter(_letter(language="de"))


def test_lists_become_hanging_bullets() -> None:
    runs = _runs(render_letter(_letter()))
    bullets = [r for r in runs if r.text.strip() == "\u2022"]
    items = [r for r in runs if r.text in ("uw identiteitsbewijs", "uw cv, als u dat heeft")]
    assert len(bullets) == 2
    assert len(items) == 2
    for bullet, item in zip(bullets, items, strict=True):
        assert bullet.left < item.left
        assert abs(bullet.top - item.top) < 0.5
    assert not any(r.text.startswith("- ") for r in runs)


def test_characters_outside_latin_1_do_not_crash() -> None:
    name = "Łukasz Świątek-Øğuz 李小龙 \u200bZoë"
    street = "Şehitler Caddesi 7\t\u2212 bis"
    body = "Beste Łukasz,\n\nU krijgt €\u00a012,50 terug \u2013 “zo” gezegd… 😀 ő ű ș ț Đ \u0131 \u017f.\n\n- één\n- twee"
    pdf = render_letter(
        _letter(recipient=dataclasses.replace(RECIPIENT, name=name, street=street), body=body)
    )
    text = _text(pdf)
    assert "Lukasz Swiatek-Øguz ???" in text
    assert "Zoë" in text
    assert "Sehitler Caddesi 7 - bis" in text
    assert "€ 12,50 terug \u2013 “zo” gezegd… ? o u s t D i s." in text
    assert "één" in text


def test_printable() -> None:
    assert printable("é ë ï ç ß Å") == "é ë ï ç ß Å"  # latin-1 as is
    assert (
        printable("€ \u2013 — \u2018\u2019 “” • …") == "€ \u2013 — \u2018\u2019 “” • …"
    )  # cp1252 as is
    assert printable("Ş ő ł Ł đ ǅ") == "S o l L d Dz"
    assert printable("a\x00b\x1bc\td\r\ne") == "abc d\ne"
    assert printable("日本") == "??"
    assert printable("\uff11\uff12\uff13") == "123"  # full-width digits fold to ASCII


def test_no_bsn_in_a_letter() -> None:
    """The recipient, reference and body of a claimant whose BSN we know: the PDF (text, raw
    bytes and every decompressed stream) holds it in no form."""
    pdf = render_letter(_letter())
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    blobs = {"pdf": pdf, "text": _text(pdf).encode()}
    for i, page in enumerate(reader.pages):
        blobs[f"page {i} content"] = page.get_contents().get_data()  # type: ignore[union-attr]
    blobs["metadata"] = repr(reader.metadata).encode()
    assert scan(blobs, needles([BSN])) == []


@pytest.mark.parametrize(
    "changes",
    [
        {"reference": BSN},
        {"reference": "M-1112 22 333"},
        {"subject": f"Uw WW ({BSN})"},
        {"body": f"Beste Eva,\n\nUw BSN is {BSN[:4]}.{BSN[4:6]}.{BSN[6:]}."},
        {"attachments": f"Kopie {BSN}"},
        {"recipient": dataclasses.replace(RECIPIENT, name=f"E. Jansen {BSN}")},
    ],
)
def test_a_bsn_anywhere_in_the_letter_refuses_it(changes: dict[str, object]) -> None:
    with pytest.raises(LetterError, match="BSN"):
        render_letter(_letter(**changes))


def test_metadata_has_the_subject_and_no_personal_data() -> None:
    pdf = render_letter(_letter())
    meta = pypdf.PdfReader(io.BytesIO(pdf)).metadata
    assert meta is not None
    assert meta.title == "Uitnodiging voor uw intakegesprek"
    assert meta.author == "UWV Amsterdam"
    everything = repr(dict(meta))
    for personal in ("Eva", "Jansen", "Dorpsstraat", "1011"):
        assert personal not in everything
    assert b"/Lang (nl-NL)" in pdf


def test_the_same_letter_gives_the_same_bytes() -> None:
    assert render_letter(_letter()) == render_letter(_letter())


def test_a_body_that_ends_with_the_closing_does_not_get_a_second_one() -> None:
    body = BODY + "\n\nMet vriendelijke groet,\n\nUWV Amsterdam"
    text = _text(render_letter(_letter(body=body, attachments=None)))
    assert text.count("Met vriendelijke groet") == 1
    assert "Bijlage" not in text


def test_an_unusable_address_is_refused() -> None:
    with pytest.raises(LetterError, match="postcode"):
        render_letter(_letter(recipient=dataclasses.replace(RECIPIENT, postcode="0123 AB")))
    with pytest.raises(LetterError, match="name"):
        render_letter(_letter(recipient=dataclasses.replace(RECIPIENT, name="  ")))


def test_a_labelled_reference_is_printed_once() -> None:
    for reference in ("Kenmerk: M-1A2B3C", "kenmerk:M-1A2B3C", "M-1A2B3C"):
        text = _text(render_letter(_letter(reference=reference)))
        assert text.count("Kenmerk") == 1
        assert "Kenmerk M-1A2B3C" in text.replace("\n", " ")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.text(min_size=1, max_size=160).filter(lambda s: s.split() != []),
    street=st.text(min_size=1, max_size=160).filter(lambda s: s.split() != []),
    city=st.text(max_size=60),
)
def test_any_name_and_street_print_inside_the_field(name: str, street: str, city: str) -> None:
    """Whatever a claimant's name and street hold (any script, control characters, emoji, very
    long words), the letter renders and every address line stays inside the field."""
    recipient = Recipient(name=name, street=street, postcode="1011 AB", city=city)
    refused = ""
    try:
        pdf = render_letter(_letter(recipient=recipient))
    except LetterError as exc:
        refused = str(exc)
    if refused:
        # Refused only for a BSN-like number or a name/street that prints as nothing.
        assert "BSN" in refused or "name and a street" in refused
        return
    for run in _address_runs(pdf):
        assert _inside(
            run,
            L.ADDRESS_FIELD_LEFT_MM,
            L.ADDRESS_FIELD_TOP_MM,
            L.ADDRESS_FIELD_RIGHT_MM,
            L.ADDRESS_FIELD_BOTTOM_MM,
        ), run
