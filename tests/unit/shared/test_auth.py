"""Token verification and the mapping of claims to a principal (users and partner applications)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm

from shared.web.auth import (
    Principal,
    TokenVerifier,
    algorithm_for_key,
    mint_token,
    principal_from_claims,
)
from shared.web.problems import Unauthorized
from tests.support.tokens import forged_tokens, raw_token, signed_raw

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


# --- forged tokens and claims of the wrong type (issue 13 item 1) -----------------------------


def test_every_forged_token_kind_is_a_401_never_another_exception(
    key: ec.EllipticCurvePrivateKey,
) -> None:
    """On main an RS256 header against the EC key raised TypeError (a 500 on every route) and
    `roles: 5` a TypeError in the claim mapping; every kind must now be Unauthorized."""
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, public_key=key.public_key())
    forged = forged_tokens(key, issuer=ISSUER, audience=AUDIENCE)
    assert len(forged) >= 40
    # Control: the hand signing of the wrong-type tokens is a valid signature.
    now = int(dt.datetime.now(dt.UTC).timestamp())
    good = {"iss": ISSUER, "aud": AUDIENCE, "sub": "u", "iat": now, "exp": now + 60}
    assert verifier.verify(signed_raw(key, good)).subject == "u"
    for label, token in forged.items():
        with pytest.raises(Unauthorized) as info:
            verifier.verify(token)
        assert info.value.status == 401, label


@pytest.mark.parametrize(
    ("claims", "claim"),
    [
        ({"roles": 5}, "roles"),
        ({"roles": "admin"}, "roles"),
        ({"roles": [None]}, "roles"),
        ({"office": {"code": "AMS"}}, "office"),
        ({"office": "A\x00B"}, "office"),
        ({"sub": 7}, "sub"),
        ({"sub": ""}, "sub"),
        ({"scope": ["a"]}, "scope"),
        ({"scope": "a\x00b"}, "scope"),
        ({"client_id": ["pc_1"]}, "client_id"),
        ({"azp": 3}, "azp"),
        ({"token_use": 1}, "token_use"),
    ],
)
def test_claims_of_the_wrong_type_are_refused_with_the_claim_named(
    claims: dict[str, Any], claim: str
) -> None:
    with pytest.raises(Unauthorized, match=f"`{claim}`"):
        principal_from_claims({"sub": "u-1", **claims})


def test_a_token_is_verified_only_with_its_keys_algorithm() -> None:
    """An RSA or Ed25519 local key verifies its own algorithm and refuses the others."""
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ed_key = ed25519.Ed25519PrivateKey.generate()
    ec384 = ec.generate_private_key(ec.SECP384R1())
    now = int(dt.datetime.now(dt.UTC).timestamp())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "u", "iat": now, "exp": now + 60}
    for private, alg in ((rsa_key, "RS256"), (ed_key, "EdDSA"), (ec384, "ES384")):
        assert algorithm_for_key(private.public_key()) == alg
        verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, public_key=private.public_key())
        assert verifier.verify(jwt.encode(claims, private, algorithm=alg)).subject == "u"
    # RS512 and PS256 are valid signatures by the same RSA key, but not the key's algorithm.
    rsa_verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, public_key=rsa_key.public_key())
    for alg in ("RS512", "PS256"):
        with pytest.raises(Unauthorized, match="alg"):
            rsa_verifier.verify(jwt.encode(claims, rsa_key, algorithm=alg))
    with pytest.raises(ValueError, match="unsupported"):
        algorithm_for_key("not a key")


def test_jwks_token_must_use_the_jwks_keys_algorithm(jwks_server: tuple[str, _Jwks]) -> None:
    url, state = jwks_server
    key = ec.generate_private_key(ec.SECP256R1())
    no_alg = _jwk(key, "k2")
    del no_alg["alg"]  # the algorithm then follows from kty/crv: ES256
    state.keys = [_jwk(key, "k1"), no_alg]
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, jwks_url=url)
    assert verifier.verify(_signed(key, "k2")).subject == "u-jwks"
    now = int(dt.datetime.now(dt.UTC).timestamp())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "iat": now, "exp": now + 60}
    for alg in ("RS256", "EdDSA", "ES384", "HS256", "none"):
        token = raw_token({"alg": alg, "kid": "k1"}, claims)
        with pytest.raises(Unauthorized) as info:
            verifier.verify(token)
        assert info.value.status == 401, alg


def test_jwks_symmetric_or_encryption_keys_are_never_used(
    jwks_server: tuple[str, _Jwks],
) -> None:
    url, state = jwks_server
    secret = b"a-shared-secret-that-is-long-enough-for-hs256!!"
    oct_jwk = {"kty": "oct", "kid": "sym", "k": base64.urlsafe_b64encode(secret).decode()}
    key = ec.generate_private_key(ec.SECP256R1())
    enc = _jwk(key, "enc") | {"use": "enc"}
    state.keys = [oct_jwk, enc]
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, jwks_url=url)
    now = int(dt.datetime.now(dt.UTC).timestamp())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "iat": now, "exp": now + 60}
    with pytest.raises(Unauthorized, match="asymmetric"):
        verifier.verify(jwt.encode(claims, secret, algorithm="HS256", headers={"kid": "sym"}))
    with pytest.raises(Unauthorized):  # PyJWKClient itself skips keys whose use is not sig
        verifier.verify(_signed(key, "enc"))
