"""The webhook signature against the verification code published in
docs/partner-webhooks.md (loaded from the document, so the sample stays correct)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from coaching.partner.webhooks import service
from coaching.partner.webhooks.signing import canonical_body, signature

DOC = Path(__file__).resolve().parents[4] / "docs" / "partner-webhooks.md"
SECRET = "whsec_test-secret"
T = 1_795_834_800


def load_verify(doc: Path = DOC) -> Callable[..., bool]:
    """Exec the doc's fenced python block and return its `verify`."""
    blocks = re.findall(r"```python\n(.*?)```", doc.read_text("utf-8"), flags=re.DOTALL)
    assert len(blocks) == 1, "docs/partner-webhooks.md should hold one python block"
    namespace: dict[str, Any] = {}
    exec(compile(blocks[0], str(doc), "exec"), namespace)
    verify: Callable[..., bool] = namespace["verify"]
    return verify


@pytest.fixture(scope="module")
def verify() -> Callable[..., bool]:
    return load_verify()


def _signed() -> tuple[bytes, str]:
    body = canonical_body(
        {"id": "e1", "type": "consent.withdrawn", "candidate_ref": "r1", "occurred_at": "x"}
    )
    return body, signature(SECRET, body, T)


def test_a_signed_body_is_accepted(verify: Callable[..., bool]) -> None:
    body, header = _signed()
    assert header.startswith(f"t={T},v1=")
    assert verify(SECRET.encode(), header, body, T)
    assert verify(SECRET.encode(), header, body, T + 300)  # the edge of the window
    assert verify(SECRET.encode(), header, body, T - 300)  # a receiver's clock behind


def test_a_tampered_body_or_another_secret_is_rejected(verify: Callable[..., bool]) -> None:
    body, header = _signed()
    assert not verify(SECRET.encode(), header, body.replace(b"consent", b"konsent"), T)
    assert not verify(SECRET.encode(), header, body + b" ", T)
    assert not verify(b"whsec_other", header, body, T)


def test_a_replay_outside_the_window_is_rejected(verify: Callable[..., bool]) -> None:
    body, header = _signed()
    assert not verify(SECRET.encode(), header, body, T + 301)
    assert not verify(SECRET.encode(), header, body, T - 301)
    # A fresh timestamp on the old MAC does not help: t is part of what is signed.
    forged = header.replace(f"t={T}", f"t={T + 3600}")
    assert not verify(SECRET.encode(), forged, body, T + 3600)


@pytest.mark.parametrize("header", ["", "t=abc,v1=00", "v1=00", f"t={T}", "garbage", f"t={T},v1="])
def test_a_malformed_header_is_rejected(verify: Callable[..., bool], header: str) -> None:
    body, _ = _signed()
    assert not verify(SECRET.encode(), header, body, T)


def test_backoff_doubles_from_30_seconds() -> None:
    assert [service.backoff(n).total_seconds() for n in range(1, 8)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
    ]


@pytest.mark.parametrize(
    ("url", "local_ok"),
    [
        ("https://agency.example.nl/hooks", True),
        ("https://agency.example.nl:8443/hooks", True),
        ("http://127.0.0.1:8080/hook", True),
        ("http://localhost/hook", True),
    ],
)
def test_accepted_urls(url: str, local_ok: bool) -> None:
    assert service.check_url(url, allow_local_http=local_ok) == url


@pytest.mark.parametrize(
    ("url", "allow_local"),
    [
        ("http://agency.example.nl/hooks", True),  # http only to loopback
        ("http://127.0.0.1:8080/hook", False),  # not in production
        ("https://localhost/hook", False),
        ("https://10.0.0.5/hook", False),
        ("https://192.168.1.1/hook", True),
        ("https://169.254.169.254/latest", True),  # cloud metadata
        ("https://user:pw@agency.example.nl/", True),
        ("ftp://agency.example.nl/", True),
        ("https:///nohost", True),
        ("https://agency.example.nl:99999/", True),
        ("https://agency.example.nl/a b", True),
        ("https://agency\x00.example.nl/", True),
    ],
)
def test_refused_urls(url: str, allow_local: bool) -> None:
    from shared.web.problems import InvalidField

    with pytest.raises(InvalidField):
        service.check_url(url, allow_local_http=allow_local)
