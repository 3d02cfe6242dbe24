"""Rendering a message to the claimant from its Jinja2 template files (ADR 0028).

The templates live in `templates/<language>/<kind>.{subject,txt,html,sms}.j2`; each language
has its own `_macros.*.j2` (greeting, the appointment block, what to bring, ...) and its own
`_base.html.j2` layout. Each language gets its own Jinja2 environment, so the date and time
filters know the language without looking it up in the context. `StrictUndefined` turns a
misspelt variable into an error at render time, which the test that renders every kind in
every language with the samples catches before anyone receives a message with a hole in it.

Only the `.html.j2` templates are autoescaped: escaping the plain text would show a
claimant called `O'Brien` as `O&#39;Brien` in the e-mail's text part and on the letter.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_time
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from shared.clock import LOCAL_TZ

KINDS: tuple[str, ...] = (
    "invitation",
    "rescheduled",
    "cancelled",
    "reminder",
    "summons",
    "obligation_missed",
    "income_statement_missing",
    "case_closed",
)
LANGUAGES: tuple[str, ...] = ("nl", "en")

#: Every top-level key of a render context (design14.md). A key the caller leaves out is None.
CONTEXT_KEYS: tuple[str, ...] = (
    "kind",
    "language",
    "claimant",
    "office",
    "appointment",
    "previous_starts_at",
    "by",
    "new_appointment",
    "obligation",
    "income_statement",
    "case_closed",
    "links",
)

#: The parts a kind cannot be written without (besides claimant, office and links).
REQUIRED: Mapping[str, tuple[str, ...]] = {
    "invitation": ("appointment",),
    "rescheduled": ("appointment",),
    "cancelled": ("appointment",),
    "reminder": ("appointment",),
    "summons": ("appointment",),
    "obligation_missed": ("obligation",),
    "income_statement_missing": ("income_statement",),
    "case_closed": ("case_closed",),
}
_ALWAYS = ("claimant", "office", "links")

#: Two concatenated SMS of 153 GSM-7 characters each.
SMS_MAX_CHARS = 306

TEMPLATES_DIR = Path(__file__).parent / "templates"

# Babel locales: en_GB writes "Monday 7 December 2026", the day before the month.
_LOCALES = {"nl": "nl_NL", "en": "en_GB"}

# The case-closed result in words, as the end of "... because <words>".
_RESULT_WORDS: Mapping[str, Mapping[str, str]] = {
    "nl": {
        "work_resumed": "u weer werk heeft",
        "work_resumed_partially": "u weer voor een deel van uw uren werkt",
        "entitlement_ended": "uw recht op WW-uitkering is afgelopen",
        "self_employed": "u voor uzelf bent begonnen",
        "other": "uw situatie is veranderd",
    },
    "en": {
        "work_resumed": "you have found work again",
        "work_resumed_partially": "you are working again for part of your hours",
        "entitlement_ended": "your right to unemployment benefit has ended",
        "self_employed": "you have started your own business",
        "other": "your situation has changed",
    },
}
RESULTS: tuple[str, ...] = tuple(_RESULT_WORDS["nl"])

# GSM 03.38: the basic character set and the extension table (an extension character
# takes two of the 153 characters of a concatenated SMS).
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = set("^{}\\[~]|€\f")


@dataclass(frozen=True, slots=True)
class Rendered:
    """One message in every form: e-mail subject, plain text, HTML, SMS, and the letter body.

    `letter` is `text` without what only holds for an e-mail ("the calendar file is
    attached"); the letter layout puts it under the address block.
    """

    subject: str
    text: str
    html: str
    sms: str
    letter: str


def gsm7_length(text: str) -> int | None:
    """The length of `text` in GSM-7 characters, or None when it needs UCS-2 (e.g. 'ë')."""
    length = 0
    for ch in text:
        if ch in _GSM_BASIC:
            length += 1
        elif ch in _GSM_EXTENSION:
            length += 2
        else:
            return None
    return length


def new_context(
    kind: str,
    language: str,
    *,
    claimant: Mapping[str, Any],
    office: Mapping[str, Any] | None,
    links: Mapping[str, Any],
) -> dict[str, Any]:
    """A render context with every key of `CONTEXT_KEYS`: the parts every message has, the
    kind's own parts (appointment, obligation, ...) None until the caller fills them in."""
    context: dict[str, Any] = dict.fromkeys(CONTEXT_KEYS)
    context.update(kind=kind, language=language, claimant=claimant, office=office, links=links)
    return context


def render(kind: str, language: str, context: Mapping[str, Any]) -> Rendered:
    """The message `kind` in `language` for `context` (see design14.md for its shape)."""
    if kind not in KINDS:
        raise ValueError(f"unknown message kind {kind!r}; known: {', '.join(KINDS)}")
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; known: {', '.join(LANGUAGES)}")
    unknown = set(context) - set(CONTEXT_KEYS)
    if unknown:
        raise ValueError(f"unknown context keys: {', '.join(sorted(unknown))}")
    if _mentions_bsn(context):
        # A message never carries a BSN; a context that holds one is a caller's mistake.
        raise ValueError("a message context must not contain a BSN")
    for key in (*_ALWAYS, *REQUIRED[kind]):
        if context.get(key) is None:
            raise ValueError(f"context.{key} is required for a {kind} message")
    for key, value in (("kind", kind), ("language", language)):
        if context.get(key) not in (None, value):
            raise ValueError(f"context.{key} is {context[key]!r}, not {value!r}")

    ctx: dict[str, Any] = dict.fromkeys(CONTEXT_KEYS)
    ctx.update(_clean(dict(context)))
    ctx["kind"], ctx["language"] = kind, language

    env = environment(language)
    subject = _one_line(env.get_template(f"{kind}.subject.j2").render(ctx, channel="email"))
    text = _tidy(env.get_template(f"{kind}.txt.j2").render(ctx, channel="email"))
    letter = _tidy(env.get_template(f"{kind}.txt.j2").render(ctx, channel="letter"))
    # The HTML part is the e-mail text laid out (one wording to keep right, not two); a
    # kind's .html.j2 may add to it, as the summons does with its warning.
    html = _tidy(
        env.get_template(f"{kind}.html.j2").render(ctx, channel="email", subject=subject, body=text)
    )
    sms = _one_line(env.get_template(f"{kind}.sms.j2").render(ctx, channel="sms"))
    return Rendered(subject=subject, text=text, html=html, sms=sms, letter=letter)


@functools.cache
def environment(language: str) -> Environment:
    """The Jinja2 environment of one language (built once): its templates and filters."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR / language),
        undefined=StrictUndefined,
        autoescape=select_autoescape(
            enabled_extensions=("html.j2",), default_for_string=False, default=False
        ),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    locale = _LOCALES[language]
    env.filters.update(
        date_words=functools.partial(date_words, locale=locale),
        time=time_hhmm,
        month=functools.partial(month_words, locale=locale),
        result_words=functools.partial(result_words, language=language),
        as_html=as_html,
    )
    return env


def local(value: dt.datetime) -> dt.datetime:
    """An aware datetime in Europe/Amsterdam; a naive one is refused (times are stored UTC)."""
    if value.tzinfo is None:
        raise ValueError("a naive datetime cannot be shown: pass an aware UTC datetime")
    return value.astimezone(LOCAL_TZ)


def date_words(value: dt.date | dt.datetime, *, locale: str) -> str:
    """'maandag 7 december 2026' / 'Monday 7 December 2026' (datetimes in Amsterdam time)."""
    day = local(value).date() if isinstance(value, dt.datetime) else value
    return format_date(day, "EEEE d MMMM y", locale=locale)


def time_hhmm(value: dt.datetime) -> str:
    """'09:30': the wall-clock time in Amsterdam, 24-hour, in both languages."""
    return format_time(local(value).time(), "HH:mm", locale="nl_NL")


def month_words(value: str | dt.date, *, locale: str) -> str:
    """'november 2026' / 'November 2026' from '2026-11' or a date in that month."""
    if isinstance(value, str):
        value = dt.date.fromisoformat(f"{value}-01")
    return format_date(value, "LLLL y", locale=locale)


def result_words(value: str, *, language: str) -> str:
    """The case-closed result in words; a code we have no words for reads as 'other'."""
    words = _RESULT_WORDS[language]
    return words.get(value, words["other"])


_P = '<p style="margin:0 0 16px 0;">'
_H2 = '<h2 style="margin:24px 0 8px 0;font-size:18px;line-height:1.3;">'
_WARN = (
    '<p style="margin:0 0 16px 0;padding:12px 16px;border-left:4px solid #b00020;'
    'background-color:#fdecee;">'
)
_UL = '<ul style="margin:0 0 16px 0;padding-left:24px;">'
_A = '<a href="{0}" style="color:#0b4f9c;text-decoration:underline;">{0}</a>'
_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)]")


def as_html(text: str, warning: str | None = None) -> Markup:
    """A message's plain text as HTML, everything escaped.

    Blocks are separated by blank lines. A block's first line is a heading when it is
    short, ends in ":" or "?" and more lines follow ("Neem dit mee:", "Kunt u niet
    komen?"). Runs of lines starting with "- " are a list; other runs are a paragraph
    with its line breaks kept. Web addresses become links. The block whose first line is
    `warning` ("Let op:") is set apart in a box, in bold.
    """
    out: list[str] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if not lines:
            continue
        first = lines[0]
        if warning is not None and first == warning:
            inner = "<br />".join(map(_inline, lines))
            out.append(f"{_WARN}<strong>{inner}</strong></p>")
            continue
        if (
            len(lines) > 1
            and first[-1] in ":?"
            and len(first.split()) <= 6
            and not first.startswith("- ")
        ):
            out.append(f"{_H2}{_inline(first[:-1] if first.endswith(':') else first)}</h2>")
            lines = lines[1:]
        for is_item, run in itertools.groupby(lines, key=lambda line: line.startswith("- ")):
            if is_item:
                out.append(_UL + "".join(f"<li>{_inline(x[2:])}</li>" for x in run) + "</ul>")
            else:
                out.append(_P + "<br />".join(map(_inline, run)) + "</p>")
    return Markup("\n".join(out))


def _inline(line: str) -> str:
    """One line escaped, its web addresses as links."""
    parts: list[str] = []
    pos = 0
    for m in _URL.finditer(line):
        parts.append(str(escape(line[pos : m.start()])))
        parts.append(_A.format(escape(m.group(0))))
        pos = m.end()
    parts.append(str(escape(line[pos:])))
    return "".join(parts)


_BSN_KEY = re.compile(r"bsn|burgerservice", re.IGNORECASE)
# Unicode category Cc is exactly C0, DEL and C1; a line break is kept (a route has lines).
_CONTROL_TABLE = dict.fromkeys(c for c in (*range(0x20), *range(0x7F, 0xA0)) if c != 0x0A)


def _mentions_bsn(value: Any) -> bool:
    if isinstance(value, Mapping):
        return any(
            (isinstance(k, str) and _BSN_KEY.search(k)) or _mentions_bsn(v)
            for k, v in value.items()
        )
    return False


def _clean(value: Any) -> Any:
    """Control characters removed from every string (a name typed with a stray tab or NUL)."""
    if isinstance(value, str):
        return value.translate(_CONTROL_TABLE)
    if isinstance(value, Mapping):
        return {k: _clean(v) for k, v in value.items()}
    return value


def _one_line(value: str) -> str:
    # A subject is a header: a line break in it would start a new header.
    return " ".join(value.split())


_BLANK_LINES = re.compile(r"\n{3,}")


def _tidy(value: str) -> str:
    lines = [line.rstrip() for line in value.strip().splitlines()]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)) + "\n"
