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


def test_a_non_ascii_or_malformed_signature_is_rejected_not_raised(
    verify: Callable[..., bool],
) -> None:
    body, header = _signed()
    mac = header.split("v1=", 1)[1]
    for forged in [
        f"t={T},v1=" + "é" * 64,  # compare_digest on str raised TypeError
        f"t={T},v1=" + mac[:-1] + "é",
        f"t={T},v1=" + "\u0661" * 64,
        f"t={T},v1={mac.upper()}",
        f"t={T},v1={mac[:-1]}",
        f"t={T},v1={mac}0",
        f"t=+{T},v1={mac}",
        f"t=\u0661{T},v1={mac}",
    ]:
        assert verify(SECRET.encode(), forged, body, T) is False, forged
    assert verify(SECRET.encode(), header, body, T) is True


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


@pytest.mark.parametrize(
    "url",
    [
        "https://xn--/hook",  # raises idna errors when sent
        "https://xn--a.example/hook",
        "https://a..b/",
        "https://a_b.example/",
        "https://Agency.Example.nl/",  # not canonical
        "https://bücher.example/",  # register the xn-- form
        "https://2130706433/",  # 127.0.0.1 as one decimal number
        "https://127.1/",
        "https://0x7f000001/",
        "https://017700000001/",  # octal
        "https://0x7f.0.0.1/",
        "https://localhost./",  # trailing dot
        "https://agency.example.nl./",
        "https://[::ffff:127.0.0.1]/",
        "https://[::ffff:169.254.169.254]/",
        "https://0.0.0.0/",
        "https://[::]/",
        "https://100.64.0.1/",  # carrier-grade NAT
        "https://intranet/",  # a single label
        "https://%zz/",
        "https://[fe80::1%25eth0]/",
    ],
)
def test_refused_hosts(url: str) -> None:
    from shared.web.problems import InvalidField

    with pytest.raises(InvalidField):
        service.check_url(url, allow_local_http=False)
    if not url.startswith("https://localhost"):
        with pytest.raises(InvalidField):
            service.check_url(url, allow_local_http=True)


def _resolver(*addresses: str) -> Callable[[str], list[str]]:
    return lambda host: list(addresses)


@pytest.mark.parametrize(
    "addresses",
    [("127.0.0.1",), ("10.0.0.1",), ("93.184.216.34", "169.254.169.254"), ("::1",), ()],
)
def test_delivery_refuses_a_host_resolving_to_a_non_public_address(
    addresses: tuple[str, ...],
) -> None:
    with pytest.raises(ValueError, match=r"non-public|does not resolve"):
        service.resolve_public(
            "https://agency.example.nl/h", allow_local_http=False, resolve=_resolver(*addresses)
        )


def test_delivery_allows_public_addresses_and_local_hosts_outside_production() -> None:
    service.resolve_public(
        "https://agency.example.nl/h",
        allow_local_http=False,
        resolve=_resolver("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"),
    )
    never = _resolver("10.0.0.1")
    service.resolve_public("http://127.0.0.1:8080/h", allow_local_http=True, resolve=never)
    service.resolve_public("http://localhost/h", allow_local_http=True, resolve=never)
    with pytest.raises(ValueError, match="not allowed"):  # not in production
        service.resolve_public("https://localhost/h", allow_local_http=False, resolve=never)


@pytest.mark.parametrize(
    "address",
    [
        "::7f00:1",  # IPv4-compatible ::127.0.0.1 (Python 3.11 calls it global)
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "2002:a00:1::1",  # 6to4 of 10.0.0.1
        "::ffff:10.0.0.1",
        "ff0e::1",  # multicast
        "224.0.0.1",
        "198.18.0.1",  # benchmarking
        "240.0.0.1",  # reserved
    ],
)
def test_addresses_embedding_a_non_public_ipv4_are_refused(address: str) -> None:
    with pytest.raises(ValueError, match="non-public"):
        service.resolve_public(
            "https://agency.example.nl/h", allow_local_http=False, resolve=_resolver(address)
        )


def test_the_target_is_the_first_checked_address_and_resolved_once() -> None:
    calls: list[str] = []
    answers = [["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"], ["127.0.0.1"]]

    def rebinding(host: str) -> list[str]:
        calls.append(host)
        return answers.pop(0)

    target = service.resolve_public(
        "https://agency.example.nl:8443/h?x=1", allow_local_http=False, resolve=rebinding
    )
    assert target == service.Target(
        url="https://agency.example.nl:8443/h?x=1",
        host="agency.example.nl",
        address="93.184.216.34",
    )
    assert calls == ["agency.example.nl"]
    assert str(service.pinned_url(target)) == "https://93.184.216.34:8443/h?x=1"
    v6 = service.Target(url=target.url, host=target.host, address="2606:2800:220:1::1")
    assert str(service.pinned_url(v6)) == "https://[2606:2800:220:1::1]:8443/h?x=1"
    # An IP literal is its own answer: nothing to resolve.
    literal = service.resolve_public(
        "https://93.184.216.34/h", allow_local_http=False, resolve=_resolver("10.0.0.1")
    )
    assert literal.address == "93.184.216.34"
