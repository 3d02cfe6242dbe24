"""The session cookie: an encrypted, authenticated (Fernet) payload with a hard expiry."""

from __future__ import annotations

import hmac
import json
import secrets
import time
from dataclasses import asdict, dataclass, field

from cryptography.fernet import Fernet, InvalidToken


def new_csrf_token() -> str:
    """An unguessable per-session token every POST form carries."""
    return secrets.token_urlsafe(32)


@dataclass
class Notice:
    """A one-time message shown on the next page (after a form's redirect)."""

    kind: str  # "ok" or "error"
    text: str
    fields: list[str] = field(default_factory=list)


@dataclass
class Session:
    """Who is signed in (nobody when `subject` is None), their backend token and language."""

    csrf: str = field(default_factory=new_csrf_token)
    lang: str = "nl"
    subject: str | None = None
    roles: list[str] = field(default_factory=list)
    office: str | None = None
    display_name: str | None = None
    access_token: str | None = None
    # Unix seconds; the session (and its access token) is void after it.
    expires_at: float | None = None
    notice: Notice | None = None
    # OIDC only: the access token's own expiry, the refresh token that renews it before
    # then (it never leaves the encrypted cookie), and which client signed in ("staff" or
    # "claimant"). Without a refresh token the session ends with its access token.
    token_expires_at: float | None = None
    refresh_token: str | None = None
    oidc_kind: str | None = None

    @property
    def signed_in(self) -> bool:
        """True while a person is signed in and their session has not expired."""
        return (
            self.subject is not None
            and self.access_token is not None
            and self.expires_at is not None
            and self.expires_at > time.time()
        )

    def has_role(self, *roles: str) -> bool:
        """True when signed in with one of `roles`."""
        return self.signed_in and any(r in self.roles for r in roles)

    def check_csrf(self, submitted: str | None) -> bool:
        """Constant-time comparison of a form's token with the session's."""
        if not submitted:
            return False
        return hmac.compare_digest(submitted.encode(), self.csrf.encode())


class SessionCodec:
    """Encrypts sessions into cookie values and back; anything invalid or expired is None."""

    def __init__(self, key: bytes, *, ttl_s: int) -> None:
        self._fernet = Fernet(key)
        self.ttl_s = ttl_s

    def encode(self, session: Session) -> str:
        """The cookie value of a session."""
        return self._fernet.encrypt(json.dumps(asdict(session)).encode()).decode()

    def decode(self, value: str | None, *, now: float | None = None) -> Session | None:
        """The session of a cookie value; None when forged, tampered with or expired."""
        if not value:
            return None
        now = time.time() if now is None else now
        try:
            # Fernet's own timestamp bounds the cookie's age even for an anonymous session.
            raw = self._fernet.decrypt_at_time(
                value.encode(), ttl=self.ttl_s, current_time=int(now)
            )
            data = json.loads(raw)
            if isinstance(data.get("notice"), dict):
                data["notice"] = Notice(**data["notice"])
            session = Session(**data)
        except (InvalidToken, ValueError, TypeError):
            return None
        if session.expires_at is not None and session.expires_at <= now:
            return None
        return session
