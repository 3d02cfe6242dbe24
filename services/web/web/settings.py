"""Typed settings of the web front end: `WEB_*` variables, falling back to shared `WW_*`.

Not a `ServiceSettings`: the web has no database, no broker and no outbox.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from shared.settings import DEFAULT_STATE_DIR

SERVICES = ("intake", "triage", "coaching", "starters")

# Our roles as the agency's identity provider names them; replaced by WEB_OIDC_ROLE_MAP.
DEFAULT_ROLE_MAP = {
    "coach": "coach",
    "team_lead": "team_lead",
    "triage_analyst": "triage_analyst",
    "benefits_officer": "benefits_officer",
    "admin": "admin",
}


class WebSettings(BaseSettings):
    """Where the backends are, how sessions are kept and how people sign in."""

    model_config = SettingsConfigDict(env_prefix="WEB_", extra="ignore", env_file=None)

    environment: Literal["dev", "test", "prod"] = "dev"
    host: str = "127.0.0.1"
    port: int = 8000
    state_dir: Path = DEFAULT_STATE_DIR
    # Behind TLS the cookie must be Secure; plain http on loopback in dev cannot carry one.
    public_url: str = "http://127.0.0.1:8000"

    intake_url: str = "http://127.0.0.1:8001"
    triage_url: str = "http://127.0.0.1:8002"
    coaching_url: str = "http://127.0.0.1:8003"
    starters_url: str = "http://127.0.0.1:8004"
    backend_timeout_s: float = Field(default=5.0, gt=0, le=120)
    backend_connect_timeout_s: float = Field(default=2.0, gt=0, le=60)
    # Retries apply to idempotent GETs only: a POST might have been carried out already.
    backend_retries: int = Field(default=2, ge=0, le=5)
    backend_backoff_s: float = Field(default=0.1, ge=0, le=10)

    session_secret: SecretStr | None = Field(
        default=None, description="Key of the session cookie (>= 32 chars); prod requires it"
    )
    session_ttl_s: int = Field(default=8 * 3600, ge=60, le=24 * 3600)
    session_cookie: str = "ww_session"

    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_scopes: str = "openid profile"
    oidc_redirect_uri: str | None = None
    oidc_role_claim: str = "roles"
    oidc_role_map: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_ROLE_MAP))
    oidc_office_claim: str = "office"
    # The claimant's sign-in (a DigiD-style broker) has its own client at the same issuer.
    oidc_claimant_client_id: str | None = None
    oidc_claimant_client_secret: SecretStr | None = None
    oidc_claimant_redirect_uri: str | None = None

    dev_sign_in: bool = True
    default_language: Literal["nl", "en"] = "nl"

    # The dev sign-in mints backend tokens with the same local key as `ww token`.
    auth_issuer: str = "ww-local"
    auth_audience: str = "ww"
    auth_local_key_file: Path | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # As shared/settings.py: WW_* (environment, state dir, auth) once for everything.
        shared_env = EnvSettingsSource(settings_cls, env_prefix="WW_", case_sensitive=False)
        return init_settings, env_settings, shared_env, dotenv_settings, file_secret_settings

    def model_post_init(self, __context: Any) -> None:
        if self.auth_local_key_file is None:
            self.auth_local_key_file = self.state_dir / "dev-jwt-key.pem"
        if self.environment == "prod":
            if self.dev_sign_in:
                raise ValueError("production refuses dev_sign_in (set WEB_DEV_SIGN_IN=false)")
            if self.session_secret is None:
                raise ValueError("production requires session_secret")
            if not self.oidc_issuer or not self.oidc_client_id:
                raise ValueError("production requires oidc_issuer and oidc_client_id")
        if self.session_secret is not None and len(self.session_secret.get_secret_value()) < 32:
            raise ValueError("session_secret must be at least 32 characters")

    @property
    def secure_cookies(self) -> bool:
        """Secure cookies whenever the site is served over https, and always in prod."""
        return self.environment == "prod" or self.public_url.startswith("https://")

    def backend_urls(self) -> dict[str, str]:
        """Base URL of every backend service."""
        return {s: str(getattr(self, f"{s}_url")) for s in SERVICES}

    def session_key(self) -> bytes:
        """The Fernet key of the session cookie: derived from session_secret, or in dev and
        test a random key kept in the state dir (sessions survive a restart)."""
        if self.session_secret is not None:
            digest = hashlib.sha256(self.session_secret.get_secret_value().encode()).digest()
            return base64.urlsafe_b64encode(digest)
        path = self.state_dir / "web-session.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            tmp.write_bytes(base64.urlsafe_b64encode(os.urandom(32)))
            os.chmod(tmp, 0o600)
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
            finally:
                tmp.unlink(missing_ok=True)
        return path.read_bytes().strip()
