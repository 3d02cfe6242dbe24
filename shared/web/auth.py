"""Bearer JWT verification with roles (staff, claimants) and scopes (partner applications).

Production verifies tokens against the identity provider's JWKS; embedded and dev modes
sign and verify with a local EC key so `ww token` can mint tokens for trying the API.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import jwt
from fastapi import Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from shared.db.audit import Actor
from shared.devkeys import key_id
from shared.devkeys import load_or_create_local_key as load_or_create_local_key
from shared.devkeys import mint_token as mint_token
from shared.roles import STAFF_ROLES as STAFF_ROLES
from shared.roles import Role as Role
from shared.web.access import break_glass_reason, check_staff_identity, require_break_glass_role
from shared.web.problems import Forbidden, Unauthorized

ALGORITHMS = ["ES256", "RS256", "EdDSA"]


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
        # The local key's id (dev and embedded modes), shown by /health so that `ww token`
        # can tell a token minted from another state dir before it is refused.
        self.local_key_id = key_id(public_key) if public_key is not None else None
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300) if jwks_url else None
        self._leeway = leeway_s

    def verify(self, token: str) -> Principal:
        """Return the principal or raise Unauthorized with a reason safe to show."""
        try:
            key = self._jwks.get_signing_key_from_jwt(token).key if self._jwks else self._public_key
            claims = jwt.decode(
                token,
                key=key,
                algorithms=ALGORITHMS,
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("the token has expired") from None
        except jwt.InvalidSignatureError:
            raise Unauthorized("the token signature is invalid") from None
        except (jwt.PyJWTError, ValueError) as exc:
            raise Unauthorized(f"the token is invalid: {type(exc).__name__}") from None
        return principal_from_claims(claims)


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    """Users carry `roles`; partner applications (client credentials) carry `scope`."""
    scopes = frozenset(str(claims.get("scope", "")).split())
    roles = frozenset(r for r in claims.get("roles", []) if r in Role.__members__.values())
    client_id = claims.get("client_id") or claims.get("azp")
    kind = (
        "application"
        if claims.get("token_use") == "client_credentials" or (client_id and not roles)
        else "user"
    )
    return Principal(
        subject=str(claims["sub"]),
        kind=kind,
        roles=roles if kind == "user" else frozenset(),
        scopes=scopes,
        office=claims.get("office"),
        client_id=str(client_id) if client_id else None,
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
