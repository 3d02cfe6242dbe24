"""Token verification and the mapping of claims to a principal (users and partner applications)."""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from shared.web.auth import Principal, TokenVerifier, mint_token, principal_from_claims
from shared.web.problems import Unauthorized

ISSUER = "https://idp.example.test"
AUDIENCE = "ww"


# --- principal_from_claims ------------------------------------------------------------------


def test_user_claims_become_a_user_principal() -> None:
    p = principal_from_claims(
        {"sub": "u-1", "roles": ["coach", "team_lead"], "office": "AMS", "scope": "a b"}
    )
    assert p.kind == "user"
    assert p.subject == "u-1"
    assert p.roles == {"coach", "team_lead"}
    assert p.office == "AMS"
    assert p.client_id is None
    assert p.scopes == {"a", "b"}
    assert p.has_role("coach")
    assert not p.has_role("admin")
    actor = p.as_actor()
    assert (actor.subject, actor.kind, actor.roles) == ("u-1", "user", ("coach", "team_lead"))


def test_unknown_roles_are_dropped() -> None:
    p = principal_from_claims({"sub": "u-2", "roles": ["coach", "superuser", "root"]})
    assert p.roles == {"coach"}
    assert principal_from_claims({"sub": "u-3"}).roles == frozenset()


def test_client_credentials_token_is_an_application_principal() -> None:
    p = principal_from_claims(
        {
            "sub": "agency-7",
            "client_id": "agency-7",
            "token_use": "client_credentials",
            "scope": "claims:register vacancies:publish",
        }
    )
    assert p.kind == "application"
    assert p.client_id == "agency-7"
    assert p.scopes == {"claims:register", "vacancies:publish"}
    assert p.roles == frozenset()
    assert p.as_actor().kind == "application"
    assert p.as_actor().subject == "agency-7"


def test_application_cannot_smuggle_in_roles() -> None:
    p = principal_from_claims(
        {
            "sub": "agency-8",
            "client_id": "agency-8",
            "token_use": "client_credentials",
            "roles": ["admin"],
            "scope": "claims:register",
        }
    )
    assert p.kind == "application"
    assert p.roles == frozenset()
    assert not p.has_role("admin")


def test_azp_without_roles_is_an_application() -> None:
    p = principal_from_claims({"sub": "svc", "azp": "partner-x", "scope": "claims:register"})
    assert p.kind == "application"
    assert p.client_id == "partner-x"


def test_azp_with_roles_is_a_user_of_that_client() -> None:
    p = principal_from_claims({"sub": "u-9", "azp": "web-portal", "roles": ["claimant"]})
    assert p.kind == "user"
    assert p.roles == {"claimant"}
    assert p.client_id == "web-portal"


# --- TokenVerifier with a JWKS endpoint -----------------------------------------------------


class _Jwks:
    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []
        self.requests = 0


@pytest.fixture
def jwks_server() -> Iterator[tuple[str, _Jwks]]:
    """A JWKS endpoint on 127.0.0.1 served from a thread."""
    state = _Jwks()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests += 1
            body = json.dumps({"keys": state.keys}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _jwk(key: ec.EllipticCurvePrivateKey, kid: str) -> dict[str, Any]:
    jwk: dict[str, Any] = ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
    jwk.update({"kid": kid, "use": "sig", "alg": "ES256"})
    return jwk


def _signed(key: ec.EllipticCurvePrivateKey, kid: str, *, exp_in: int = 300, **claims: Any) -> str:
    now = int(dt.datetime.now(dt.UTC).timestamp())
    body = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "u-jwks",
        "iat": now,
        "exp": now + exp_in,
        "roles": ["coach"],
        **claims,
    }
    return jwt.encode(body, key, algorithm="ES256", headers={"kid": kid})


def test_jwks_token_verifies(jwks_server: tuple[str, _Jwks]) -> None:
    url, state = jwks_server
    key = ec.generate_private_key(ec.SECP256R1())
    state.keys = [_jwk(key, "k1")]
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, jwks_url=url)
    principal = verifier.verify(_signed(key, "k1", office="UTR"))
    assert isinstance(principal, Principal)
    assert principal.subject == "u-jwks"
    assert principal.roles == {"coach"}
    assert principal.office == "UTR"
    assert state.requests >= 1


def test_jwks_picks_the_key_by_kid(jwks_server: tuple[str, _Jwks]) -> None:
    url, state = jwks_server
    old, new = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    state.keys = [_jwk(old, "2025"), _jwk(new, "2026")]
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, jwks_url=url)
    assert verifier.verify(_signed(old, "2025")).subject == "u-jwks"
    assert verifier.verify(_signed(new, "2026")).subject == "u-jwks"
    # A token naming one kid but signed with the other key is rejected.
    with pytest.raises(Unauthorized, match="signature"):
        verifier.verify(_signed(new, "2025"))


def test_jwks_unknown_kid_fails(jwks_server: tuple[str, _Jwks]) -> None:
    url, state = jwks_server
    key = ec.generate_private_key(ec.SECP256R1())
    state.keys = [_jwk(key, "k1")]
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, jwks_url=url)
    with pytest.raises(Unauthorized) as info:
        verifier.verify(_signed(key, "k-unknown"))
    assert info.value.status == 401


def test_jwks_unreachable_fails_closed() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, jwks_url="http://127.0.0.1:9/jwks")
    with pytest.raises(Unauthorized):
        verifier.verify(_signed(key, "k1"))


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"iss": "https://evil.example"}, "invalid"),
        ({"aud": "other-api"}, "invalid"),
        ({"exp_in": -3600}, "expired"),
    ],
)
def test_jwks_wrong_issuer_audience_or_expiry_fails(
    jwks_server: tuple[str, _Jwks], claims: dict[str, Any], reason: str
) -> None:
    url, state = jwks_server
    key = ec.generate_private_key(ec.SECP256R1())
    state.keys = [_jwk(key, "k1")]
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, jwks_url=url)
    with pytest.raises(Unauthorized, match=reason):
        verifier.verify(_signed(key, "k1", **claims))


# --- TokenVerifier with a local key: leeway and required claims ------------------------------


@pytest.fixture
def key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _local(key: ec.EllipticCurvePrivateKey, leeway_s: int) -> TokenVerifier:
    return TokenVerifier(
        issuer=ISSUER, audience=AUDIENCE, public_key=key.public_key(), leeway_s=leeway_s
    )


def _expired_by(key: ec.EllipticCurvePrivateKey, seconds: int) -> str:
    ttl = dt.timedelta(minutes=5)
    issued = dt.datetime.now(dt.UTC) - ttl - dt.timedelta(seconds=seconds)
    return mint_token(
        key, subject="late", issuer=ISSUER, audience=AUDIENCE, roles=["coach"], ttl=ttl, now=issued
    )


def test_leeway_tolerates_small_clock_skew(key: ec.EllipticCurvePrivateKey) -> None:
    token = _expired_by(key, 10)
    assert _local(key, 30).verify(token).subject == "late"
    with pytest.raises(Unauthorized, match="expired"):
        _local(key, 0).verify(token)


def test_leeway_does_not_accept_long_expired_tokens(key: ec.EllipticCurvePrivateKey) -> None:
    with pytest.raises(Unauthorized, match="expired"):
        _local(key, 30).verify(_expired_by(key, 90))


def test_leeway_tolerates_a_token_issued_slightly_in_the_future(
    key: ec.EllipticCurvePrivateKey,
) -> None:
    future = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=10)
    token = mint_token(key, subject="early", issuer=ISSUER, audience=AUDIENCE, now=future)
    assert _local(key, 30).verify(token).subject == "early"
    with pytest.raises(Unauthorized):
        _local(key, 0).verify(token)


def test_required_claims_are_enforced(key: ec.EllipticCurvePrivateKey) -> None:
    now = int(dt.datetime.now(dt.UTC).timestamp())
    no_exp = jwt.encode(
        {"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "iat": now}, key, algorithm="ES256"
    )
    with pytest.raises(Unauthorized):
        _local(key, 30).verify(no_exp)


def test_unsigned_and_garbage_tokens_fail(key: ec.EllipticCurvePrivateKey) -> None:
    now = int(dt.datetime.now(dt.UTC).timestamp())
    unsigned = jwt.encode(
        {"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "iat": now, "exp": now + 60},
        key="",  # the "none" algorithm takes no key
        algorithm="none",
    )
    for token in (unsigned, "not.a.jwt", "", str(uuid.uuid4())):
        with pytest.raises(Unauthorized):
            _local(key, 30).verify(token)


def test_symmetric_algorithm_confusion_is_rejected(key: ec.EllipticCurvePrivateKey) -> None:
    now = int(dt.datetime.now(dt.UTC).timestamp())
    forged = jwt.encode(
        {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "x",
            "iat": now,
            "exp": now + 60,
            "roles": ["admin"],
        },
        "a-shared-secret-that-is-long-enough-for-hs256",
        algorithm="HS256",
    )
    with pytest.raises(Unauthorized):
        _local(key, 30).verify(forged)


def test_verifier_needs_exactly_one_key_source(key: ec.EllipticCurvePrivateKey) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        TokenVerifier(issuer=ISSUER, audience=AUDIENCE)
    with pytest.raises(ValueError, match="exactly one"):
        TokenVerifier(
            issuer=ISSUER, audience=AUDIENCE, public_key=key.public_key(), jwks_url="http://x"
        )
