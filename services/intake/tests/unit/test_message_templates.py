"""The message templates: every kind in every language renders, says what it must, and leaks nothing.

Pure tests (no database): `intake.messages.render` on the sample contexts of
`intake.messages.samples`, on minimal contexts (every optional part None) and on random
names and addresses (hypothesis).
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum.nl import bsn as stdnum_bsn

from intake.messages.render import (
    CONTEXT_KEYS,
    KINDS,
    LANGUAGES,
    RESULTS,
    SMS_MAX_CHARS,
    TEMPLATES_DIR,
    Rendered,
    as_html,
    date_words,
    gsm7_length,
    month_words,
    render,
    result_words,
    time_hhmm,
)
from intake.messages.samples import sample_context
from tests.support.bsn_scan import needles, scan

ALL = [(k, lang) for k in KINDS for lang in LANGUAGES]
FIELDS = ("subject", "text", "html", "sms", "letter")
UUID = re.compile(
    r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.IGNORECASE
)
# Digits as people group them: 123456782, 1234 56 782, 1234.56.782, 1234-56-782.
NUMBER_RUN = re.compile(r"\d(?:[ .\-]?\d)*")
# An internal code reads like an identifier: work_resumed, income_statement_missing.
SNAKE_CASE = re.compile(r"\b[a-z]+_[a-z_]+\b")
# The tags the layout uses; anything else in the HTML came from data that was not escaped.
ALLOWED_TAGS = {
    "html", "head", "meta", "title", "body", "div", "p", "h1", "h2", "ul", "li", "a", "br",
    "hr", "strong",
}  # fmt: skip
VOID_TAGS = {"meta", "br", "hr"}


def _render(kind: str, language: str, *, minimal: bool = False, **changes: Any) -> Rendered:
    ctx = sample_context(kind, language, minimal=minimal)
    ctx.update(changes)
    return render(kind, language, ctx)


class _TagBalance(HTMLParser):
    """Every opened tag closed in order; the tags seen; attributes that load anything."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: set[str] = set()
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, _ in attrs:
            if name in ("src", "srcset") or name.startswith("on"):
                self.errors.append(f"<{tag} {name}=...>")
        if tag not in VOID_TAGS:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        if tag not in VOID_TAGS:
            self.errors.append(f"<{tag} /> is not a void element")

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def _check_html(html: str) -> set[str]:
    parser = _TagBalance()
    parser.feed(html)
    parser.close()
    assert not parser.errors, parser.errors
    assert not parser.stack, f"unclosed: {parser.stack}"
    return parser.tags


# --- every template, every kind, every language -------------------------------------------


def test_every_kind_has_its_four_templates_in_every_language() -> None:
    for language in LANGUAGES:
        for kind in KINDS:
            for part in ("subject", "txt", "html", "sms"):
                assert (TEMPLATES_DIR / language / f"{kind}.{part}.j2").is_file()
        assert (TEMPLATES_DIR / language / "_base.html.j2").is_file()


@pytest.mark.parametrize("minimal", [False, True], ids=["sample", "minimal"])
@pytest.mark.parametrize(("kind", "language"), ALL)
def test_every_template_renders(kind: str, language: str, minimal: bool) -> None:
    """No StrictUndefined error, nothing empty; subject and SMS are one line."""
    r = _render(kind, language, minimal=minimal)
    for field in FIELDS:
        assert getattr(r, field).strip(), field
    assert "\n" not in r.subject
    assert "\n" not in r.sms
    assert r.text.endswith("\n")
    assert "  " not in r.subject


@pytest.mark.parametrize("minimal", [False, True], ids=["sample", "minimal"])
@pytest.mark.parametrize(("kind", "language"), ALL)
def test_html_is_well_formed_accessible_and_self_contained(
    kind: str, language: str, minimal: bool
) -> None:
    html = _render(kind, language, minimal=minimal).html
    assert html.startswith("<!DOCTYPE html>")
    root = ET.fromstring(html)  # XHTML-ish: parses as XML too
    assert root.tag == "html"
    assert root.get("lang") == language
    assert root.find("head/title") is not None
    assert root.find("head/meta[@charset='utf-8']") is not None
    assert _check_html(html) <= ALLOWED_TAGS
    # No external resources: no images, style sheets, scripts or fonts to fetch.
    for forbidden in ("<img", "<link", "<script", "<style", "url(", "@import", "src="):
        assert forbidden not in html


@pytest.mark.parametrize(("kind", "language"), ALL)
def test_sms_is_at_most_two_gsm7_messages(kind: str, language: str) -> None:
    for minimal in (False, True):
        sms = _render(kind, language, minimal=minimal).sms
        length = gsm7_length(sms)
        assert length is not None, f"not GSM-7: {sms!r}"
        assert length <= SMS_MAX_CHARS, (length, sms)


@pytest.mark.parametrize(("kind", "language"), ALL)
def test_no_internal_codes(kind: str, language: str) -> None:
    """No result codes, kind names or office codes: words only."""
    for minimal in (False, True):
        r = _render(kind, language, minimal=minimal)
        for field in ("subject", "text", "sms", "letter"):
            value = getattr(r, field)
            assert not SNAKE_CASE.findall(value), (field, SNAKE_CASE.findall(value))
            assert "AMS" not in value
            assert "None" not in value


# --- what each kind says --------------------------------------------------------------------

INVITATION_MUST = {
    "nl": [
        "maandag 14 december 2026",
        "09:30",
        "10:15",
        "Sanne",
        "Karspeldreef 8",
        "1101 CJ Amsterdam",
        "station Bijlmer ArenA",
        "identiteitsbewijs",
        "cv",
        "loonstrook",
        "rechten en plichten",
        "sollicitatieactiviteiten",
        "passend werk",
        "inkomsten",
        "veranderingen",
        "https://mijn.uwv.example/afspraak",
        "088 123 45 67",
    ],
    "en": [
        "Monday 14 December 2026",
        "09:30",
        "10:15",
        "Sanne",
        "Karspeldreef 8",
        "1101 CJ Amsterdam",
        "Bijlmer ArenA station",
        "proof of identity",
        "CV",
        "payslip",
        "rights and obligations",
        "job-search activities",
        "suitable work",
        "income",
        "changes",
        "https://mijn.uwv.example/afspraak",
        "088 123 45 67",
    ],
}
ATTACHED = {
    "nl": "In de bijlage van deze e-mail zit een agenda-bestand",
    "en": "calendar file is attached",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_invitation_says_when_where_who_what_to_bring_and_how_to_change_it(
    language: str,
) -> None:
    r = _render("invitation", language)
    for snippet in INVITATION_MUST[language]:
        assert snippet in r.text, snippet
        assert snippet in r.letter, snippet
        assert snippet in r.html, snippet
    assert ATTACHED[language] in r.text
    assert ATTACHED[language] in r.html
    # A letter has no attachment to speak of.
    assert ATTACHED[language] not in r.letter
    assert "14 december 2026" in r.subject.lower()
    assert "09:30" in r.subject
    assert "09:30" in r.sms
    assert "Karspeldreef 8" in r.sms


def test_times_are_shown_in_amsterdam_time_in_summer_and_winter() -> None:
    summer = dt.datetime(2026, 6, 1, 7, 30, tzinfo=dt.UTC)  # CEST, UTC+2
    appointment = {
        "starts_at": summer,
        "ends_at": summer + dt.timedelta(minutes=45),
        "coach_first_name": None,
        "summoned": False,
    }
    r = _render("invitation", "nl", appointment=appointment)
    assert "maandag 1 juni 2026" in r.text
    assert "Tijd: 09:30 tot ongeveer 10:15" in r.text
    # Sunday 31 May 23:30 UTC is Monday 1 June 01:30 in Amsterdam.
    assert date_words(dt.datetime(2026, 5, 31, 23, 30, tzinfo=dt.UTC), locale="nl_NL") == (
        "maandag 1 juni 2026"
    )
    assert time_hhmm(dt.datetime(2026, 12, 14, 8, 30, tzinfo=dt.UTC)) == "09:30"


KIND_MUST: dict[tuple[str, str], list[str]] = {
    ("rescheduled", "nl"): ["woensdag 16 december 2026", "13:45", "maandag 14 december 2026", "Karspeldreef 8", "U heeft uw gesprek", ATTACHED["nl"]],
    ("rescheduled", "en"): ["Wednesday 16 December 2026", "13:45", "Monday 14 December 2026", "Karspeldreef 8", "You have moved", ATTACHED["en"]],
    ("cancelled", "nl"): ["maandag 14 december 2026 om 09:30", "helaas afzeggen", "nieuwe afspraak", "woensdag 16 december 2026", "Daan"],
    ("cancelled", "en"): ["Monday 14 December 2026 at 09:30", "cancel your meeting", "new appointment", "Wednesday 16 December 2026", "Daan"],
    ("reminder", "nl"): ["herinnering", "Over 2 werkdagen", "maandag 14 december 2026", "09:30", "Karspeldreef 8", "1101 CJ Amsterdam", "identiteitsbewijs"],
    ("reminder", "en"): ["reminder", "In 2 working days", "Monday 14 December 2026", "09:30", "Karspeldreef 8", "1101 CJ Amsterdam", "proof of identity"],
    ("summons", "nl"): ["woensdag 9 december 2026", "niet gekomen", "U moet naar dit gesprek komen", "gevolgen hebben voor uw WW-uitkering", "verlagen of stoppen", "maandag 14 december 2026", "Karspeldreef 8"],
    ("summons", "en"): ["Wednesday 9 December 2026", "did not come", "You must come to this meeting", "affect your unemployment benefit", "lower or stop", "Monday 14 December 2026", "Karspeldreef 8"],
    ("obligation_missed", "nl"): ["maandag 2 november 2026", "zondag 29 november 2026", "4 sollicitatieactiviteiten", "U heeft er 1", "uitzendbureau", "gevolgen hebben voor uw WW-uitkering"],
    ("obligation_missed", "en"): ["Monday 2 November 2026", "Sunday 29 November 2026", "4 job-search activities", "You have reported 1", "temp agency", "affect your unemployment benefit"],
    ("income_statement_missing", "nl"): ["november 2026", "startersregeling", "elke maand", "niets heeft verdiend"],
    ("income_statement_missing", "en"): ["November 2026", "starters scheme", "every month", "earned nothing"],
    ("case_closed", "nl"): ["vrijdag 4 december 2026", "omdat u weer werk heeft", "Wat gebeurt er nu?", "Uw WW-uitkering stopt"],
    ("case_closed", "en"): ["Friday 4 December 2026", "because you have found work again", "What happens now?", "unemployment benefit stops"],
}  # fmt: skip


@pytest.mark.parametrize(("kind", "language"), sorted(KIND_MUST))
def test_each_kind_says_what_it_must(kind: str, language: str) -> None:
    r = _render(kind, language)
    for snippet in KIND_MUST[(kind, language)]:
        assert snippet in r.text, snippet
        assert snippet.replace("'", "&#39;") in r.html, snippet


@pytest.mark.parametrize(
    ("language", "sms_words", "html_words"),
    [
        ("nl", "lager worden of stoppen", "verlagen of stoppen"),
        ("en", "lowered or stopped", "lower or stop"),
    ],
)
def test_summons_warns_about_the_benefit_on_every_channel(
    language: str, sms_words: str, html_words: str
) -> None:
    r = _render("summons", language)
    assert sms_words in r.sms
    assert html_words in r.letter
    # In the HTML the warning stands in its own box, in bold.
    warning = re.search(r'border-left:4px solid #b00020;[^"]*"><strong>(.*?)</strong>', r.html)
    assert warning is not None
    assert html_words in warning.group(1)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("result", [*RESULTS, "some_new_code"])
def test_case_closed_says_why_in_words_for_every_result(language: str, result: str) -> None:
    closed = {"result": result, "closed_on": dt.date(2026, 12, 4)}
    r = _render("case_closed", language, case_closed=closed)
    words = result_words(result, language=language)
    assert words in r.text
    assert words in r.sms
    assert result not in r.text
    assert result not in r.sms
    assert result not in r.html
    if result == "some_new_code":
        assert words == result_words("other", language=language)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("by", ["claimant", "service", None])
@pytest.mark.parametrize("rebooked", [True, False])
def test_cancelled_by_either_side_with_or_without_a_new_slot(
    language: str, by: str | None, rebooked: bool
) -> None:
    ctx = sample_context("cancelled", language)
    ctx["by"] = by
    if not rebooked:
        ctx["new_appointment"] = None
    r = render("cancelled", language, ctx)
    new_day = {"nl": "woensdag 16 december 2026", "en": "Wednesday 16 December 2026"}[language]
    assert (new_day in r.text) is rebooked
    assert (new_day in r.sms) is rebooked
    assert (ATTACHED[language] in r.text) is rebooked
    if not rebooked and by != "service":
        assert "https://mijn.uwv.example/afspraak" in r.text  # make a new appointment
    assert gsm7_length(r.sms) is not None
    assert (gsm7_length(r.sms) or 0) <= SMS_MAX_CHARS


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("by", ["claimant", "service", None])
def test_rescheduled_by_either_side(language: str, by: str | None) -> None:
    r = _render("rescheduled", language, by=by)
    sorry = {"nl": "Sorry voor het ongemak", "en": "sorry for the trouble"}[language]
    assert (sorry in r.text) is (by == "service")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("reported", [0, 1, 3])
def test_obligation_missed_counts(language: str, reported: int) -> None:
    ctx = sample_context("obligation_missed", language)
    ctx["obligation"]["activities_reported"] = reported
    text = render("obligation_missed", language, ctx).text
    if reported == 0:
        assert {"nl": "nog geen activiteiten", "en": "not reported any"}[language] in text
    else:
        assert {"nl": f"U heeft er {reported} ", "en": f"You have reported {reported} "}[
            language
        ] in text


# --- minimal context: neutral greeting, optional parts left out -----------------------------

GREETINGS = {
    "nl": {
        (None, None): "Beste meneer/mevrouw,",
        (None, "de Vries"): "Beste meneer/mevrouw de Vries,",
        ("Sem", None): "Beste Sem,",
        ("Sem", "de Vries"): "Beste Sem de Vries,",
    },
    "en": {
        (None, None): "Dear Sir or Madam,",
        (None, "de Vries"): "Dear Mr or Ms de Vries,",
        ("Sem", None): "Dear Sem,",
        ("Sem", "de Vries"): "Dear Sem de Vries,",
    },
}


@pytest.mark.parametrize(("kind", "language"), ALL)
def test_greeting_without_or_with_part_of_the_name(kind: str, language: str) -> None:
    for (given_name, family), greeting in GREETINGS[language].items():
        claimant = {"given_name": given_name, "family_name": family}
        r = _render(kind, language, minimal=True, claimant=claimant)
        assert r.text.startswith(greeting + "\n"), r.text[:60]
        assert r.letter.startswith(greeting + "\n")
        assert greeting in r.html


@pytest.mark.parametrize("language", LANGUAGES)
def test_minimal_invitation_leaves_out_what_is_unknown(language: str) -> None:
    r = _render("invitation", language, minimal=True)
    coach = {"nl": "Uw werkcoach:", "en": "Your work coach:"}[language]
    route = {"nl": "Zo komt u bij ons", "en": "How to get here"}[language]
    assert coach not in r.text
    assert route not in r.text
    assert "Karspeldreef 8" in r.text  # the address is never optional
    # Without an office phone the general contact number is given.
    assert "088 123 45 67" in r.text


# --- no BSN, no ids, escaping ---------------------------------------------------------------


def _all_outputs(**changes: Any) -> dict[str, bytes]:
    blobs: dict[str, bytes] = {}
    for kind, language in ALL:
        for minimal in (False, True):
            r = _render(kind, language, minimal=minimal, **changes)
            for field in FIELDS:
                blobs[f"{kind}/{language}/{minimal}/{field}"] = getattr(r, field).encode()
    return blobs


def test_no_bsn_and_no_uuid_in_any_message() -> None:
    """Scanned with the project's BSN scanner, plus any 9-digit number that passes the 11-test."""
    blobs = _all_outputs()
    # The scanner works (a planted BSN is found) ...
    planted = needles(["123456782", "111222333"])
    assert scan({"control": b"bsn 1234.56.782"}, planted) == ["control: 123456782 as dots"]
    assert NUMBER_RUN.findall("uw bsn 1234 56 782.") == ["1234 56 782"]
    # ... and finds nothing in the messages.
    assert scan(blobs, planted) == []
    for where, blob in blobs.items():
        text = blob.decode()
        for run in NUMBER_RUN.findall(text):
            digits = re.sub(r"\D", "", run)
            assert not (len(digits) == 9 and stdnum_bsn.is_valid(digits)), (where, run)
        assert not UUID.search(text), (where, UUID.search(text))


def test_a_context_that_carries_a_bsn_is_refused() -> None:
    ctx = sample_context("invitation", "nl")
    ctx["claimant"]["bsn"] = "123456782"
    with pytest.raises(ValueError, match="BSN"):
        render("invitation", "nl", ctx)


def test_no_template_reads_a_bsn() -> None:
    for path in TEMPLATES_DIR.rglob("*.j2"):
        assert "bsn" not in path.read_text().lower(), path


def test_html_escapes_what_the_claimant_typed() -> None:
    claimant = {"given_name": "<script>alert(1)</script>", "family_name": "O'Brien & <b>Co</b>"}
    for kind, language in ALL:
        r = _render(kind, language, claimant=claimant)
        assert "<script" not in r.html
        assert "<b>" not in r.html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.html
        assert "O&#39;Brien &amp; &lt;b&gt;Co&lt;/b&gt;" in r.html
        _check_html(r.html)
        # Plain text is not HTML: the name reads as typed.
        assert "O'Brien & <b>Co</b>" in r.text


def test_a_line_break_in_a_name_cannot_start_a_new_header() -> None:
    claimant = {"given_name": "Eva\r\nBcc: x@example.org", "family_name": "Jansen\x00"}
    r = _render("invitation", "nl", claimant=claimant)
    assert "\r" not in r.text
    assert "\x00" not in r.text
    assert "\x00" not in r.html
    assert "\n" not in r.subject
    assert "\r" not in r.subject


_names = st.one_of(st.none(), st.text(max_size=40))
_line = st.text(min_size=1, max_size=40)
_times = st.datetimes(
    min_value=dt.datetime(2020, 1, 1),
    max_value=dt.datetime(2035, 12, 31),
    timezones=st.just(dt.UTC),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    given_name=_names,
    family_name=_names,
    coach=_names,
    street=_line,
    house_number=st.text(min_size=1, max_size=8),
    postcode=st.text(min_size=1, max_size=8),
    city=_line,
    route=st.one_of(st.none(), st.text(max_size=200)),
    starts_at=_times,
    language=st.sampled_from(LANGUAGES),
)
def test_random_names_and_addresses_never_break_a_message(
    given_name: str | None,
    family_name: str | None,
    coach: str | None,
    street: str,
    house_number: str,
    postcode: str,
    city: str,
    route: str | None,
    starts_at: dt.datetime,
    language: str,
) -> None:
    for kind in KINDS:
        ctx = sample_context(kind, language)
        ctx["claimant"] = {"given_name": given_name, "family_name": family_name}
        ctx["office"].update(
            street=street, house_number=house_number, postcode=postcode, city=city, route=route
        )
        for key in ("appointment", "new_appointment"):
            if ctx[key] is not None:
                ctx[key].update(
                    starts_at=starts_at,
                    ends_at=starts_at + dt.timedelta(minutes=45),
                    coach_first_name=coach,
                )
        r = render(kind, language, ctx)
        assert "\n" not in r.subject
        assert "\n" not in r.sms
        # Whatever was typed, it is text in the HTML: only the layout's own tags, balanced.
        assert _check_html(r.html) <= ALLOWED_TAGS


# --- plain language (B1), as a heuristic ----------------------------------------------------


def _sentences(text: str) -> list[list[str]]:
    """Sentences as word lists. Lines and list items end a sentence as well as . ! ? do.

    Web and e-mail addresses are taken out first: their dots are not sentence ends.
    """
    text = re.sub(r"https?://\S+|\S+@\S+", "ADDRESS", text)
    parts = re.split(r"[.!?]+(?=\s|$)|\n", text)
    return [words for part in parts if (words := part.replace("- ", " ").split())]


@pytest.mark.parametrize("kind", KINDS)
def test_dutch_sentences_are_short(kind: str) -> None:
    """A heuristic for B1 (plain Dutch), not a readability measure: the average sentence of
    every Dutch text is under 15 words and none is over 20. It catches a template that
    drifts into long officialese; wording still needs a human (or a B1 panel) to check."""
    for minimal in (False, True):
        sentences = _sentences(_render(kind, "nl", minimal=minimal).letter)
        average = sum(map(len, sentences)) / len(sentences)
        assert average < 15, (kind, average)
        longest = max(sentences, key=len)
        assert len(longest) <= 20, " ".join(longest)


# --- the filters and the guards -------------------------------------------------------------


def test_filters() -> None:
    day = dt.date(2026, 12, 7)
    assert date_words(day, locale="nl_NL") == "maandag 7 december 2026"
    assert date_words(day, locale="en_GB") == "Monday 7 December 2026"
    assert month_words("2026-11", locale="nl_NL") == "november 2026"
    assert month_words(dt.date(2026, 11, 30), locale="en_GB") == "November 2026"
    assert result_words("entitlement_ended", language="nl") == (
        "uw recht op WW-uitkering is afgelopen"
    )
    with pytest.raises(ValueError, match="naive"):
        time_hhmm(dt.datetime(2026, 12, 7, 9, 30))


def test_as_html_headings_lists_links_and_escaping() -> None:
    html = str(as_html("Neem dit mee:\n- a & b\n- <c>\n\nZie https://x.example/a?b=1&c=2. Klaar."))
    assert ">Neem dit mee</h2>" in html
    assert "<li>a &amp; b</li><li>&lt;c&gt;</li>" in html
    assert '<a href="https://x.example/a?b=1&amp;c=2"' in html
    assert "</a>. Klaar.</p>" in html


def test_unknown_kind_language_or_key_and_missing_parts_are_refused() -> None:
    ctx = sample_context("invitation", "nl")
    with pytest.raises(ValueError, match="kind"):
        render("postcard", "nl", ctx)
    with pytest.raises(ValueError, match="language"):
        render("invitation", "de", ctx)
    with pytest.raises(ValueError, match="unknown context keys: bsn_hash"):
        render("invitation", "nl", {**ctx, "bsn_hash": "x"})
    with pytest.raises(ValueError, match=r"context\.appointment is required"):
        render("invitation", "nl", {**ctx, "appointment": None})
    with pytest.raises(ValueError, match=r"context\.language is 'nl'"):
        render("invitation", "en", ctx)
    with pytest.raises(ValueError, match="kind"):
        sample_context("postcard", "nl")


def test_missing_top_level_keys_are_none() -> None:
    """A caller may leave out the parts a kind does not use."""
    ctx = sample_context("income_statement_missing", "en")
    slim = {k: ctx[k] for k in ("claimant", "office", "links", "income_statement")}
    assert render("income_statement_missing", "en", slim) == render(
        "income_statement_missing", "en", ctx
    )


@pytest.mark.parametrize(("kind", "language"), ALL)
def test_samples_have_the_context_shape_and_are_marked_as_samples(kind: str, language: str) -> None:
    ctx = sample_context(kind, language)
    assert set(ctx) == set(CONTEXT_KEYS)
    assert ctx["kind"] == kind
    assert ctx["language"] == language
    assert ctx["links"]["manage_url"].startswith("https://")
    assert ".example" in ctx["links"]["manage_url"]
    assert ctx["office"]["email"].endswith(".example")
    for key in ("appointment", "new_appointment"):
        if ctx[key] is not None:
            assert ctx[key]["starts_at"].tzinfo is dt.UTC
