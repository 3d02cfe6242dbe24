"""docker-compose.yml, deploy/Dockerfile and deploy/k8s/ agree with the code.

No Docker engine is needed: the files are parsed and checked against the settings classes,
the CLI and each other, so a renamed setting, a copy-pasted port or a missing dependency
fails here rather than at `docker compose up`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from coaching.settings import CoachingSettings
from intake.settings import IntakeSettings
from shared.settings import ServiceSettings
from starters.settings import StartersSettings
from triage.settings import TriageSettings
from ww.registry import SERVICE_NAMES

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
PG_INIT = ROOT / "deploy" / "postgres" / "init.sql"
K8S_DIR = ROOT / "deploy" / "k8s"

SETTINGS: dict[str, type[ServiceSettings]] = {
    "INTAKE": IntakeSettings,
    "TRIAGE": TriageSettings,
    "COACHING": CoachingSettings,
    "STARTERS": StartersSettings,
    "WW": ServiceSettings,
}
# Variables with a settings prefix that are deliberately not settings. Keep this short and
# say why; everything else named <PREFIX>_<FIELD> must be a field of the settings class.
NOT_SETTINGS_ALLOWED: dict[str, str] = {}
# Never in a deployment: it arms SIGKILL fault points (tests only, shared/faults.py).
FORBIDDEN_VARS = ("WW_FAULTS",)
ROLES = {"serve": "api", "relay": "relay", "consume": "consumer", "migrate": "migrate"}


def _compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    assert isinstance(data.get("services"), dict)
    return data


COMPOSE = _compose()
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]


def _env(svc: dict[str, Any]) -> dict[str, str]:
    env = svc.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def _ww_role(svc: dict[str, Any]) -> tuple[str, str] | None:
    """(role, service) of a container that runs `ww <command> <service>`, else None."""
    if svc.get("build") is None:
        return None
    command = svc.get("command")
    if command == ["web"]:  # the web front end: no service of its own (ADR 0029)
        return None
    assert isinstance(command, list), 'use the exec form: command: ["serve", "intake"]'
    assert len(command) == 2, f"expected `ww <command> <service>`, got {command}"
    verb, service = command
    assert verb in ROLES, f"unknown ww command {verb!r}"
    assert service in SERVICE_NAMES, f"unknown service {service!r}"
    return ROLES[verb], service


WW_CONTAINERS: dict[str, tuple[str, str]] = {
    name: role for name, svc in SERVICES.items() if (role := _ww_role(svc)) is not None
}


def _container(role: str, service: str) -> str:
    matches = [n for n, r in WW_CONTAINERS.items() if r == (role, service)]
    assert len(matches) == 1, f"expected exactly one {role} container for {service}: {matches}"
    return matches[0]


def _host_ports(svc: dict[str, Any]) -> Iterator[tuple[str, int, int]]:
    """(host ip, host port, container port) of every published port."""
    for entry in svc.get("ports") or []:
        if isinstance(entry, dict):
            if entry.get("published") is not None:
                yield entry.get("host_ip", ""), int(entry["published"]), int(entry["target"])
            continue
        parts = str(entry).split("/")[0].split(":")
        if len(parts) == 1:
            continue  # container port only: Docker picks a random host port
        host_ip = parts[0] if len(parts) == 3 else ""
        yield host_ip, int(parts[-2]), int(parts[-1])


def _settings_problems(env_names: list[str], where: str) -> list[str]:
    problems = []
    for name in env_names:
        if name in FORBIDDEN_VARS:
            problems.append(f"{where}: {name} must never be set in a deployment")
            continue
        prefix, _, field = name.partition("_")
        if prefix not in SETTINGS or name in NOT_SETTINGS_ALLOWED:
            continue
        if field.lower() not in SETTINGS[prefix].model_fields:
            problems.append(f"{where}: {name} is not a setting of {SETTINGS[prefix].__name__}")
    return problems


def _resolved_settings(
    monkeypatch: pytest.MonkeyPatch, service: str, env: dict[str, str]
) -> ServiceSettings:
    """The settings object a container would build from exactly this environment."""
    import os

    for key in list(os.environ):
        if key.split("_", 1)[0] in SETTINGS:
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return SETTINGS[service.upper()]()


# --- images and ports ---------------------------------------------------------------------


def test_every_image_is_pinned_to_a_version() -> None:
    for name, svc in SERVICES.items():
        image = svc.get("image")
        assert image or svc.get("build"), f"{name}: neither image nor build"
        if not image:
            continue
        ref = image.split("@", 1)[0]
        tag = ref.rsplit("/", 1)[-1].partition(":")[2]
        assert tag, f"{name}: image {image} has no tag"
        assert tag != "latest", f"{name}: {image} is not pinned"
        assert re.search(r"\d", tag), f"{name}: {image} is not pinned to a version"


def test_dockerfile_base_images_are_pinned() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    args = dict(re.findall(r"^ARG (\w+)=(\S+)$", text, flags=re.MULTILINE))
    stages = set(re.findall(r"^FROM \S+ AS (\S+)$", text, flags=re.MULTILINE))
    bases = re.findall(r"^FROM (\S+)", text, flags=re.MULTILINE)
    assert bases
    for base in bases:
        image = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], base)
        if image in stages:
            continue
        tag = image.rsplit("/", 1)[-1].partition(":")[2]
        assert re.match(r"3\.11\.\d+-slim", tag), f"base image {image}: pin python:3.11.x-slim"


def test_published_host_ports_are_unique_and_loopback() -> None:
    seen: dict[int, str] = {}
    for name, svc in SERVICES.items():
        for host_ip, host_port, _ in _host_ports(svc):
            assert host_port not in seen, f"host port {host_port}: {seen.get(host_port)} and {name}"
            seen[host_port] = name
            # Dev tokens can be minted by anyone with the state volume: do not listen publicly.
            assert host_ip == "127.0.0.1", f"{name}: publish {host_port} on 127.0.0.1 only"


def test_each_api_is_published_on_its_settings_port(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = {"intake": 8001, "triage": 8002, "coaching": 8003, "starters": 8004}
    assert set(expected) == set(SERVICE_NAMES)
    for service, port in expected.items():
        name = _container("api", service)
        settings = _resolved_settings(monkeypatch, service, _env(SERVICES[name]))
        assert settings.port == port, f"{name}: listens on {settings.port}, expected {port}"
        assert settings.host == "0.0.0.0", f"{name}: must listen on 0.0.0.0 in a container"
        published = [(h, c) for _, h, c in _host_ports(SERVICES[name])]
        assert published == [(port, port)], f"{name}: publish {port}:{port}, got {published}"


# --- the ww containers ----------------------------------------------------------------------


def test_every_service_has_migrate_api_relay_and_consumer() -> None:
    for service in SERVICE_NAMES:
        for role in ("migrate", "api", "relay", "consumer"):
            _container(role, service)
    assert len(WW_CONTAINERS) == 4 * len(SERVICE_NAMES)


def test_ww_containers_build_the_one_image() -> None:
    images = set()
    for name in WW_CONTAINERS:
        build = SERVICES[name]["build"]
        assert isinstance(build, dict), f"{name}: build needs context and dockerfile"
        dockerfile = build.get("dockerfile")
        context = str(build.get("context", "."))
        assert (ROOT / context).resolve() == ROOT, f"{name}: build context must be the repo root"
        assert dockerfile == "deploy/Dockerfile", f"{name}: build deploy/Dockerfile"
        images.add(SERVICES[name].get("image"))
    assert len(images) == 1, f"one image for all ww containers, got {images}"


def test_environment_names_are_real_settings() -> None:
    problems = []
    for name, svc in SERVICES.items():
        problems += _settings_problems(list(_env(svc)), f"docker-compose.yml {name}")
    assert not problems, "\n".join(problems)


def test_no_fault_injection_anywhere_in_deployment_files() -> None:
    files = [COMPOSE_FILE, DOCKERFILE, *sorted(K8S_DIR.glob("*.yaml"))]
    for path in files:
        for var in FORBIDDEN_VARS:
            assert var not in path.read_text(encoding="utf-8"), f"{path.name} mentions {var}"


def test_containers_carry_only_their_own_service_prefix() -> None:
    for name, (_, service) in WW_CONTAINERS.items():
        foreign = [
            k
            for k in _env(SERVICES[name])
            if k.split("_", 1)[0] in SETTINGS and k.split("_", 1)[0] not in ("WW", service.upper())
        ]
        assert not foreign, f"{name} runs {service} but sets {foreign}"


def test_settings_resolve_as_intended(monkeypatch: pytest.MonkeyPatch) -> None:
    """Build each container's settings from its environment, as the process would."""
    state_dirs = set()
    for name, (role, service) in WW_CONTAINERS.items():
        env = _env(SERVICES[name])
        settings = _resolved_settings(monkeypatch, service, env)
        url = urlsplit(settings.database_url or "")
        assert url.scheme == "postgresql+psycopg", f"{name}: {settings.database_url}"
        assert url.hostname == "postgres", f"{name}: database host must be the postgres service"
        assert url.path == f"/ww_{service}", f"{name}: own database ww_{service}, got {url.path}"
        assert settings.environment == "dev", name
        assert settings.auth_mode == "local", name
        if role == "migrate":
            continue
        assert settings.transport == "kafka", f"{name}: WW_TRANSPORT=kafka (separate processes)"
        assert settings.kafka_bootstrap == "kafka:9092", name
        # Only the one-shot migrate container changes the schema.
        assert settings.migrate_on_start is False, f"{name}: set WW_MIGRATE_ON_START=false"
        mounts = {v.split(":")[1]: v.split(":")[0] for v in SERVICES[name].get("volumes", [])}
        assert str(settings.state_dir) in mounts, f"{name}: state dir is not a mounted volume"
        state_dirs.add((mounts[str(settings.state_dir)], str(settings.state_dir)))
    # One volume for all: every process must verify tokens with the same dev key.
    assert len(state_dirs) == 1, f"state dir differs between containers: {state_dirs}"
    volume = next(iter(state_dirs))[0]
    assert volume in (COMPOSE.get("volumes") or {}), f"{volume} is not a named volume"


# --- ordering and health --------------------------------------------------------------------


def _depends_on(svc: dict[str, Any]) -> dict[str, str]:
    deps = svc.get("depends_on") or {}
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {k: (v or {}).get("condition", "service_started") for k, v in deps.items()}


def test_depends_on_targets_exist_and_conditions_can_be_met() -> None:
    for name, svc in SERVICES.items():
        for target, condition in _depends_on(svc).items():
            assert target in SERVICES, f"{name} depends on unknown service {target}"
            if condition == "service_healthy":
                assert "healthcheck" in SERVICES[target], f"{target} has no healthcheck"
            elif condition == "service_completed_successfully":
                assert WW_CONTAINERS.get(target, ("",))[0] == "migrate", (
                    f"{name} waits for {target} to exit, but it is not a one-shot"
                )
                assert SERVICES[target].get("restart", "no") == "no"
            else:
                assert condition == "service_started", f"{name}: unknown condition {condition}"


def test_start_order_migrate_first_broker_before_workers() -> None:
    for name, (role, service) in WW_CONTAINERS.items():
        deps = _depends_on(SERVICES[name])
        if role == "migrate":
            assert deps.get("postgres") == "service_healthy", name
            continue
        assert deps.get(f"{service}-migrate") == "service_completed_successfully", name
        assert _container("migrate", service) == f"{service}-migrate"
        if role in ("relay", "consumer"):
            assert deps.get("kafka") == "service_healthy", f"{name} needs a healthy broker"


def test_healthchecks_on_postgres_kafka_and_every_api() -> None:
    for name in ("postgres", "kafka"):
        assert SERVICES[name].get("healthcheck", {}).get("test"), f"{name}: no healthcheck"
    pg_check = SERVICES["postgres"]["healthcheck"]["test"]
    assert "pg_isready" in " ".join(pg_check)
    # Over TCP: the entrypoint's temporary server (running init.sql) has no TCP listener.
    assert "-h" in pg_check, "postgres: pg_isready -h 127.0.0.1, not the unix socket"
    for service in SERVICE_NAMES:
        name = _container("api", service)
        test = " ".join(SERVICES[name].get("healthcheck", {}).get("test", []))
        port = _env(SERVICES[name])[f"{service.upper()}_PORT"]
        assert f"127.0.0.1:{port}/health" in test, f"{name}: healthcheck must GET /health"


# --- infrastructure -------------------------------------------------------------------------


def test_kafka_is_a_single_kraft_node_that_advertises_what_services_use() -> None:
    kafka = SERVICES["kafka"]
    env = _env(kafka)
    assert env.get("KAFKA_PROCESS_ROLES", "").replace(" ", "").split(",") in (
        ["broker", "controller"],
        ["controller", "broker"],
    )
    assert "KAFKA_ZOOKEEPER_CONNECT" not in env
    node = env["KAFKA_NODE_ID"]
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"].startswith(f"{node}@")
    for key in (
        "KAFKA_LISTENERS",
        "KAFKA_ADVERTISED_LISTENERS",
        "KAFKA_CONTROLLER_LISTENER_NAMES",
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP",
    ):
        assert env.get(key), f"kafka: {key} missing"
    for key, value in env.items():
        if key.endswith(("REPLICATION_FACTOR", "MIN_ISR", "MIN_INSYNC_REPLICAS")):
            assert value == "1", f"{key}={value}: a single node needs 1"
    for key in (
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
    ):
        assert env.get(key) == "1", f"kafka: {key}=1 is required on one node"
    assert env.get("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS") == "0"
    advertised = {
        urlsplit(listener).netloc for listener in env["KAFKA_ADVERTISED_LISTENERS"].split(",")
    }
    bootstraps = {
        b for n in WW_CONTAINERS for k, b in _env(SERVICES[n]).items() if k == "WW_KAFKA_BOOTSTRAP"
    }
    assert bootstraps, "no ww container sets WW_KAFKA_BOOTSTRAP"
    assert bootstraps <= advertised, f"{bootstraps} not advertised: {advertised}"


def test_intake_sends_its_email_to_the_mail_catcher(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every e-mail in containers mode lands in mailpit (its SMTP port, plain, no login)."""
    mailpit = SERVICES["mailpit"]
    assert mailpit["image"].startswith("axllent/mailpit:")
    assert "readyz" in " ".join(mailpit["healthcheck"]["test"])
    for name, (role, service) in WW_CONTAINERS.items():
        if service != "intake" or role == "migrate":
            continue
        settings = _resolved_settings(monkeypatch, "intake", _env(SERVICES[name]))
        assert isinstance(settings, IntakeSettings)
        assert (settings.smtp_host, settings.smtp_port) == ("mailpit", 1025), name
        assert settings.smtp_security == "none", name


def test_postgres_init_creates_every_service_database() -> None:
    mounts = [str(v) for v in SERVICES["postgres"].get("volumes", [])]
    init = [m for m in mounts if "/docker-entrypoint-initdb.d/" in m]
    assert init, "postgres: mount deploy/postgres/init.sql into /docker-entrypoint-initdb.d/"
    assert (ROOT / init[0].split(":")[0]).resolve() == PG_INIT
    created = set(re.findall(r"CREATE DATABASE (\w+)", PG_INIT.read_text(encoding="utf-8")))
    assert created == {f"ww_{s}" for s in SERVICE_NAMES}


# --- the image -----------------------------------------------------------------------------


def test_dockerfile_runs_ww_as_a_non_root_user() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    entrypoints = re.findall(r"^ENTRYPOINT (.+)$", text, flags=re.MULTILINE)
    assert len(entrypoints) == 1
    assert json.loads(entrypoints[0]) == ["ww"]
    users = re.findall(r"^USER (\S+)", text, flags=re.MULTILINE)
    assert users, "no USER instruction: the image would run as root"
    assert users[-1].split(":")[0] not in ("root", "0"), "run as a non-root user"
    assert re.search(r"pip install \.", text), "install the repository itself (pip install .)"
    assert re.search(r"^ENV .*WW_STATE_DIR=", text, flags=re.MULTILINE | re.DOTALL)


def test_dockerignore_keeps_what_the_build_needs_and_drops_local_state() -> None:
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for needed in ("pyproject.toml", "README.md", "shared", "ww", "services"):
        assert needed not in patterns, f".dockerignore drops {needed}, which the build copies"
    for dropped in (".venv", "var", ".git"):
        assert dropped in patterns, f".dockerignore must exclude {dropped}"


# --- cluster manifests ---------------------------------------------------------------------


def _k8s_env_names(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if node.get("kind") == "ConfigMap":
            yield from (node.get("data") or {})
        for key, value in node.items():
            if key == "env" and isinstance(value, list):
                yield from (item["name"] for item in value)
            else:
                yield from _k8s_env_names(value)
    elif isinstance(node, list):
        for item in node:
            yield from _k8s_env_names(item)


def test_k8s_manifests_use_real_settings() -> None:
    problems = []
    for path in sorted(K8S_DIR.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            problems += _settings_problems(list(_k8s_env_names(doc)), f"deploy/k8s/{path.name}")
    assert not problems, "\n".join(problems)


def test_the_web_front_end_uses_real_settings_and_the_api_containers() -> None:
    from web.settings import WebSettings

    env = _env(SERVICES["web"])
    for name in env:
        prefix, _, field = name.partition("_")
        fields = WebSettings.model_fields
        assert prefix in ("WEB", "WW"), name
        assert field.lower() in fields, f"web: {name} is not a setting of WebSettings"
    for service in SERVICE_NAMES:
        url = urlsplit(env[f"WEB_{service.upper()}_URL"])
        api = _container("api", service)
        assert url.hostname == api
        assert str(url.port) == _env(SERVICES[api])[f"{service.upper()}_PORT"]


def test_the_web_manifest_uses_real_settings_and_production_refusals() -> None:
    from web.settings import WebSettings

    docs = list(yaml.safe_load_all((K8S_DIR / "web.yaml").read_text(encoding="utf-8")))
    names = [n for doc in docs for n in _k8s_env_names(doc)]
    for name in names:
        assert name.startswith("WEB_"), name
        assert name[4:].lower() in WebSettings.model_fields, name
    config = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
    assert config["WEB_DEV_SIGN_IN"] == "false"  # production refuses the dev sign-in
    # With the Secret's session key the manifest's settings start in production.
    WebSettings(**{k[4:].lower(): v for k, v in config.items()}, session_secret="s" * 32)
