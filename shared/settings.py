"""Settings common to every service; each service subclasses with its own env prefix."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
# In a source checkout state lives in <repo>/var; an installed package uses ./var instead
# (containers set WW_STATE_DIR explicitly).
DEFAULT_STATE_DIR = (
    REPO_ROOT / "var" if (REPO_ROOT / "pyproject.toml").exists() else Path.cwd() / "var"
)


class ServiceSettings(BaseSettings):
    """Settings read from `<SERVICE>_*` variables, falling back to shared `WW_*` variables."""

    model_config = SettingsConfigDict(env_prefix="WW_", extra="ignore", env_file=None)

    service_name: ClassVar[str] = "service"
    default_port: ClassVar[int] = 8000
    handles_bsn: ClassVar[bool] = False
    stores_idempotency_keys: ClassVar[bool] = False

    environment: Literal["dev", "test", "prod"] = "dev"
    host: str = "127.0.0.1"
    port: int | None = None
    state_dir: Path = DEFAULT_STATE_DIR

    database_url: str | None = None
    db_pool_size: int = 10
    db_max_overflow: int = 20

    transport: Literal["embedded", "kafka"] = "embedded"
    kafka_bootstrap: str = "127.0.0.1:59092"
    topic_prefix: str = "ww"
    consumer_group: str | None = None
    consumer_max_attempts: int = Field(default=5, ge=1, le=100)
    consumer_backoff_initial_s: float = Field(default=0.05, ge=0)
    consumer_backoff_max_s: float = Field(default=5.0, ge=0)
    relay_batch_size: int = Field(default=500, ge=1, le=10_000)
    relay_poll_interval_s: float = Field(default=0.05, gt=0)
    run_workers: bool = False
    migrate_on_start: bool = True
    metrics_port: int | None = Field(
        default=None, description="Prometheus port for relay/consumer processes that serve no API"
    )

    auth_mode: Literal["local", "jwks"] = "local"
    auth_jwks_url: str | None = None
    auth_issuer: str = "ww-local"
    auth_audience: str = "ww"
    auth_local_key_file: Path | None = None
    auth_leeway_s: int = 30

    bsn_encryption_key: SecretStr | None = None
    bsn_hash_key: SecretStr | None = None
    # Idempotency-Key values are stored as HMAC-SHA256 under this secret (base64, >= 32
    # bytes): a caller may put anything in a key, a BSN included (issue 13, ADR 0025).
    idempotency_key_secret: SecretStr | None = None

    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    log_level: str = "INFO"
    log_json: bool = True

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Shared infrastructure (broker, auth keys) is usually configured once as WW_*;
        # a service-specific variable still wins.
        shared_env = EnvSettingsSource(settings_cls, env_prefix="WW_", case_sensitive=False)
        return init_settings, env_settings, shared_env, dotenv_settings, file_secret_settings

    def model_post_init(self, __context: Any) -> None:
        if self.port is None:
            self.port = self.default_port
        if self.database_url is None:
            self.database_url = f"sqlite:///{self.state_dir / f'{self.service_name}.db'}"
        if self.consumer_group is None:
            self.consumer_group = f"ww-{self.service_name}"
        if self.auth_local_key_file is None:
            self.auth_local_key_file = self.state_dir / "dev-jwt-key.pem"
        if self.environment == "prod":
            if self.auth_mode != "jwks":
                raise ValueError("production requires auth_mode=jwks")
            if self.handles_bsn and (self.bsn_encryption_key is None or self.bsn_hash_key is None):
                raise ValueError("production requires bsn_encryption_key and bsn_hash_key")
            if self.stores_idempotency_keys and self.idempotency_key_secret is None:
                raise ValueError("production requires idempotency_key_secret")

    @property
    def topic(self) -> str:
        """The topic this service publishes to."""
        return f"{self.topic_prefix}.{self.service_name}"

    def topic_for(self, service: str) -> str:
        """The topic another service publishes to."""
        return f"{self.topic_prefix}.{service}"
