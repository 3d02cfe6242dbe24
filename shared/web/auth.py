"""Bearer JWT verification with roles (staff, claimants) and scopes (partner applications).

Production verifies tokens against the identity provider's JWKS; embedded and dev modes
sign and verify with a local EC key so `ww token` can mint tokens for trying the API.

A token is verified with exactly one algorithm: the one of the key it names (ADR 0023).
The `alg` in a token's header is the attacker's choice, so it never picks the algorithm;
it only has to agree with the key's. Every failure to decode a token or to map its claims
answers 401 problem+json, never 500: whatever bytes a caller sends as a token are input.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from fastapi import Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from shared.db.audit import Actor
from shared.devkeys import key_id
from shared.devkeys import load_or_create_local_key as load_or_create_local_key
from shared.devkeys import mint_token as mint_token
from shared.logging import get_logger
from shared.roles import STAFF_ROLES as STAFF_ROLES
from shared.roles import Role as Role
from shared.web.access import break_glass_reason, check_staff_identity, require_break_glass_role
from shared.web.problems import Forbidden, Problem, Unauthorized

log = get_logger(__name__)

# The asymmetric algorithms a JWKS key may carry. Symmetric ones (HS*) are never accepted:
# their "key" would be public (a JWKS entry, or the public key's bytes in the classic
# algorithm-confusion attack), and `none` signs nothing.
ASYMMETRIC_ALGORITHMS = frozenset(
    {
        "ES256",
        "ES384",
        "ES512",
        "RS256",
        "RS384",
        "RS512",
        "PS256",
        "PS384",
        "PS512",
        "EdDSA",
    }
)
_EC_CURVES = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}
# String claims longer than this are refused: no identity provider issues them, and they
# would only reach logs and queries.
MAX_CLAIM_LENGTH = 255
# C0 and C1 control characters and DEL: never in an identifier, and NUL breaks PostgreSQL.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def algorithm_for_key(public_key: Any) -> str:
    """The one JWS algorithm a local verifying key is used with (ES256 for the dev key)."""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        try:
            return _EC_CURVES[public_key.curve.name]
        except KeyError:
            raise ValueError(f"unsupported EC curve {public_key.curve.name}") from None
    if isinstance(public_key, rsa.RSAPublicKey):
        return "RS256"
    if isinstance(public_key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        return "EdDSA"
    raise ValueError(f"unsupported verifying key type {type(public_key).__name__}")


class InvalidClaimError(Unauthorized):
    """A signed token whose claim has the wrong type or form (a 401: the token is unusable)."""

    def __init__(self, claim: str, expected: str) -> None:
        super().__init__(f"the token is invalid: the claim `{claim}` must be {expected}")
        self.claim = claim


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    subject: str
    kind: str  # "user" or "application"
    roles: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()
    office: str | None = None
    client_id: str | None = None
    claims: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    # The stated reason of a break-glass read (header X-Break-Glass-Reason), set by
    # `requires(...)` for roles that may use it; services grant and audit it (ADR 0022).
    break_glass: str | None = None

    def has_role(self, *roles: str) -> bool:
        """True if the principal holds any of the roles."""
        return bool(self.roles.intersection(roles))

    def as_actor(self) -> Actor:
        """The audit-log view of this principal."""
        return Actor(
            subject=self.client_id or self.subject, kind=self.kind, roles=tuple(sorted(self.roles))
        )


class TokenVerifier:
    """Verifies signature, expiry, issuer and audience; maps claims to a Principal."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        public_key: Any = None,
        jwks_url: str | None = None,
        leeway_s: int = 30,
    ) -> None:
        if (public_key is None) == (jwks_url is None):
            raise ValueError("give exactly one of public_key or jwks_url")
        self._issuer = issuer
        self._audience = audience
        self._public_key = public_key
        # The local key's single algorithm, fixed now: a key of an unsupported type fails
        # at start, not on the first request.
        self._algorithm = algorithm_for_key(public_key) if public_key is not None else ""
        # The local key's id (dev and embedded modes), shown by /health so that `ww token`
        # can tell a token minted from another state dir before it is refused.
        self.local_key_id = key_id(public_key) if public_key is not None else None
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300) if jwks_url else None
        self._leeway = leeway_s

    def verify(self, token: str) -> Principal:
        """Return the principal or raise Unauthorized with a reason safe to show.

        Any exception while reading the token or its claims is a 401: PyJWT and the key
        classes raise TypeError, ValueError and the like on inputs they do not expect
        (e.g. an RS256 header against an EC key), and none of that may become a 500.
        """
        try:
            key, algorithm = self._key_for(token)
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[algorithm],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
            return principal_from_claims(claims)
        except Problem:
            raise
        except jwt.ExpiredSignatureError:
            raise Unauthorized("the token has expired") from None
        except jwt.InvalidSignatureError:
            raise Unauthorized("the token signature is invalid") from None
        except jwt.InvalidAlgorithmError:
            raise Unauthorized(
                "the token is invalid: its `alg` is not the algorithm of the signing key"
            ) from None
        except Exception as exc:  # every other failure is a bad token, too
            # The type only, never the token or the message (they may echo token content).
            log.info("auth.token_refused", error_type=type(exc).__name__)
            raise Unauthorized(f"the token is invalid: {type(exc).__name__}") from None

    def _key_for(self, token: str) -> tuple[Any, str]:
        """The verifying key and its one algorithm: the local key's, or the JWKS key that the
        token's `kid` names with the algorithm of that JWK (its `alg`, else from kty/crv)."""
        if self._jwks is None:
            return self._public_key, self._algorithm
        jwk = self._jwks.get_signing_key_from_jwt(token)
        algorithm = jwk.algorithm_name
        if algorithm not in ASYMMETRIC_ALGORITHMS:
            raise Unauthorized("the token is invalid: its key is not an asymmetric signing key")
        if jwk.public_key_use not in (None, "sig"):
            raise Unauthorized("the token is invalid: its key is not a signing key")
        return jwk.key, algorithm


def _string_claim(claims: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = claims.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > MAX_CLAIM_LENGTH:
        raise InvalidClaimError(
            name, f"a non-empty string of at most {MAX_CLAIM_LENGTH} characters"
        )
    if _CONTROL.search(value):
        raise InvalidClaimError(name, "a string without control characters")
    return value


def _string_list_claim(claims: dict[str, Any], name: str) -> list[str]:
    value = claims.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidClaimError(name, "a list of strings")
    return value


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    """Users carry `roles`; partner applications (client credentials) carry `scope`.

    Claim types are checked here, not trusted: a signed token with `roles: 5` or an object
    as `office` is refused with 401 (InvalidClaimError) instead of failing further on.
    Unknown role names are dropped (an identity provider may carry roles of other systems).
    """
    subject = _string_claim(claims, "sub", required=True)
    assert subject is not None
    scope = claims.get("scope")
    if scope is not None and not isinstance(scope, str):
        raise InvalidClaimError("scope", "a space-separated string")
    if scope is not None and _CONTROL.search(scope):
        raise InvalidClaimError("scope", "a string without control characters")
    scopes = frozenset((scope or "").split())
    roles = frozenset(
        r for r in _string_list_claim(claims, "roles") if r in Role.__members__.values()
    )
    office = _string_claim(claims, "office")
    client_id = _string_claim(claims, "client_id") or _string_claim(claims, "azp")
    token_use = claims.get("token_use")
    if token_use is not None and not isinstance(token_use, str):
        raise InvalidClaimError("token_use", "a string")
    kind = (
        "application" if token_use == "client_credentials" or (client_id and not roles) else "user"
    )
    return Principal(
        subject=subject,
        kind=kind,
        roles=roles if kind == "user" else frozenset(),
        scopes=scopes,
        office=office,
        client_id=client_id,
        claims=claims,
    )


_bearer = HTTPBearer(auto_error=False)


async def current_principal(request: Request) -> Principal:
    """FastAPI dependency: the verified caller, or 401 problem+json."""
    creds: HTTPAuthorizationCredentials | None = await _bearer(request)
    if creds is None or creds.scheme.lower() != "bearer":
        raise Unauthorized("a bearer token is required")
    verifier: TokenVerifier = request.app.state.container.verifier
    principal = verifier.verify(creds.credentials)
    request.state.principal = principal
    return principal


async def _check_identity(request: Request, principal: Principal) -> None:
    """Need to know (shared/web/access.py): a team lead names an office, a coach is a known,
    active coach of this service's roster (or replica)."""
    container = request.app.state.container
    route = request.scope.get("route")
    if getattr(route, "path", None) in getattr(container.spec, "no_personal_data", ()):
        return
    directory = getattr(container.spec, "coach_directory", None)
    if "coach" in principal.roles and directory is not None:
        await run_in_threadpool(
            check_staff_identity,
            roles=principal.roles,
            subject=principal.subject,
            office=principal.office,
            directory=directory,
            session_factory=container.session_factory,
        )
    else:
        check_staff_identity(
            roles=principal.roles,
            subject=principal.subject,
            office=principal.office,
            directory=None,
            session_factory=None,
        )


def requires(*, roles: Iterable[str] = (), scopes: Iterable[str] = ()) -> Callable[[Request], Any]:
    """Dependency factory: allow users with any of `roles` or applications with any of `scopes`."""
    allowed_roles = frozenset(roles)
    allowed_scopes = frozenset(scopes)

    async def dependency(request: Request) -> Principal:
        principal = await current_principal(request)
        if principal.kind == "user" and principal.roles & allowed_roles:
            await _check_identity(request, principal)
            reason = break_glass_reason(request)
            if reason is not None:
                read = request.method in ("GET", "HEAD") or request.url.path.endswith("/search")
                require_break_glass_role(principal.roles, read=read)
                principal = dataclasses.replace(principal, break_glass=reason)
                request.state.principal = principal
            return principal
        if principal.kind == "application" and principal.scopes & allowed_scopes:
            return principal
        raise Forbidden("this operation is not allowed for the caller's role or scopes")

    return dependency
