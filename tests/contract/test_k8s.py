"""deploy/k8s/ is complete and agrees with the code: every service has its processes, every
scheduled job runs somewhere, every container runs a real `ww` command, and every manifest
is valid Kubernetes (checked offline against the schemas `kubernetes-validate` ships).

No cluster is needed. The service list and the CLI are imported from wherever the repo keeps
them (the composition root moves from `shared/` to `ww/`, issue 16): whichever module exists.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from coaching.settings import CoachingSettings
from intake.settings import IntakeSettings
from shared.settings import ServiceSettings
from starters.settings import StartersSettings
from triage.settings import TriageSettings
from web.settings import WebSettings

ROOT = Path(__file__).resolve().parents[2]
K8S_DIR = ROOT / "deploy" / "k8s"
# The Kubernetes version the manifests are validated against (strict: unknown fields fail).
KUBERNETES_VERSION = "1.33.0"
# Written out on purpose: a service added to the registry without manifests fails here.
SERVICES = ("intake", "triage", "coaching", "starters")
PORTS = {"intake": 8001, "triage": 8002, "coaching": 8003, "starters": 8004}
# The ww commands whose first argument is a service: (verb, role in a Deployment/Job name).
SERVICE_COMMANDS = {"serve": "api", "relay": "relay", "consume": "consumer", "migrate": "migrate"}
# A process that takes over a loop the API replicas would otherwise run in process: the API
# must turn that loop off (the setting's description says so).
TAKES_OVER = {
    ("jobs", "messages"): ("intake", "INTAKE_MESSAGES_SEND_IN_PROCESS"),
    ("jobs", "reminders"): ("intake", "INTAKE_REMINDERS_IN_PROCESS"),
}
SETTINGS: dict[str, type[Any]] = {
    "INTAKE": IntakeSettings,
    "TRIAGE": TriageSettings,
    "COACHING": CoachingSettings,
    "STARTERS": StartersSettings,
    "WEB": WebSettings,
    "WW": ServiceSettings,
}


def _registry_names() -> tuple[str, ...]:
    return tuple(importlib.import_module("ww.registry").SERVICE_NAMES)


@cache
def _cli() -> Any:
    """The `ww` command tree as a click command (typer vendors its own click)."""
    import typer

    return typer.main.get_command(importlib.import_module("ww.cli").app)


def _subcommands(group: Any, parent: Any = None) -> dict[str, Any]:
    ctx = group.context_class(group, info_name=group.name, parent=parent)
    return {name: group.get_command(ctx, name) for name in group.list_commands(ctx)}


def _job_commands() -> dict[str, Any]:
    return _subcommands(_subcommands(_cli())["jobs"])


def _job_service(name: str, command: Any) -> str | None:
    """The service a job belongs to: its module once services own their jobs, else the
    "Intake: ..." prefix of its help text."""
    top = command.callback.__module__.split(".")[0]
    if top in SERVICES:
        return top
    prefix = (command.help or "").split(":", 1)[0].strip().lower()
    return prefix if prefix in SERVICES else None


# --- the manifests ------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    """A Deployment, Job or CronJob with the pod it runs."""

    file: str
    kind: str
    name: str
    doc: dict[str, Any]
    pod: dict[str, Any]

    @property
    def containers(self) -> list[dict[str, Any]]:
        return list(self.pod.get("containers") or [])

    @property
    def where(self) -> str:
        return f"deploy/k8s/{self.file} {self.kind}/{self.name}"


def _load() -> dict[str, list[dict[str, Any]]]:
    docs: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(K8S_DIR.glob("*.yaml")):
        loaded = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
        assert all(isinstance(d, dict) for d in loaded), path.name
        docs[path.name] = loaded
    return docs


DOCS = _load()


def _pod_of(doc: dict[str, Any]) -> dict[str, Any] | None:
    spec = doc.get("spec") or {}
    if doc["kind"] in ("Deployment", "Job"):
        return dict(spec["template"]["spec"])
    if doc["kind"] == "CronJob":
        return dict(spec["jobTemplate"]["spec"]["template"]["spec"])
    return None


def _workloads() -> Iterator[Workload]:
    for file, docs in DOCS.items():
        for doc in docs:
            pod = _pod_of(doc)
            if pod is not None:
                yield Workload(file, doc["kind"], doc["metadata"]["name"], doc, pod)


WORKLOADS = list(_workloads())


def _find(kind: str, name: str) -> dict[str, Any]:
    found = [
        d
        for docs in DOCS.values()
        for d in docs
        if (d["kind"], d["metadata"]["name"]) == (kind, name)
    ]
    assert len(found) == 1, f"expected one {kind}/{name} in deploy/k8s, found {len(found)}"
    return found[0]


def _workload(kind: str, name: str) -> Workload:
    found = [w for w in WORKLOADS if (w.kind, w.name) == (kind, name)]
    assert len(found) == 1, f"expected one {kind}/{name} in deploy/k8s, found {len(found)}"
    return found[0]


def _env(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: str(e.get("value", "")) for e in container.get("env") or []}


def _refs(container: dict[str, Any], kind: str) -> list[str]:
    return [ref[kind]["name"] for ref in container.get("envFrom") or [] if kind in ref]


# --- the service list and the CLI ----------------------------------------------------------


def test_the_registry_lists_the_services_this_test_checks() -> None:
    assert _registry_names() == SERVICES


def test_the_cli_has_the_scheduled_jobs_this_test_relies_on() -> None:
    # Guards against a vacuous pass: the derived job list must be the real one.
    jobs = _job_commands()
    assert {"reminders", "retriage", "obligations", "starters-reminders"} <= set(jobs)
    for name, command in jobs.items():
        assert _job_service(name, command), f"`ww jobs {name}`: which service's job is it?"


# --- completeness ---------------------------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_migrate_api_relay_consumer_and_service(service: str) -> None:
    assert f"{service}.yaml" in DOCS, f"deploy/k8s/{service}.yaml is missing"
    for verb, role in SERVICE_COMMANDS.items():
        kind = "Job" if role == "migrate" else "Deployment"
        workload = _workload(kind, f"{service}-{role}")
        assert workload.file == f"{service}.yaml", workload.where
        assert [c["args"] for c in workload.containers] == [[verb, service]], workload.where

    api = _workload("Deployment", f"{service}-api")
    (container,) = api.containers
    env = _env(container)
    port = PORTS[service]
    assert env[f"{service.upper()}_HOST"] == "0.0.0.0", api.where
    assert env[f"{service.upper()}_PORT"] == str(port), api.where
    assert container["ports"] == [{"containerPort": port, "name": "http"}], api.where

    svc = _find("Service", service)
    assert svc["spec"]["selector"] == api.doc["spec"]["template"]["metadata"]["labels"]
    assert svc["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": "http"}]


def test_the_web_has_its_deployment_and_service() -> None:
    web = _workload("Deployment", "web")
    assert [c["args"] for c in web.containers] == [["web"]]
    svc = _find("Service", "web")
    assert svc["spec"]["selector"] == web.doc["spec"]["template"]["metadata"]["labels"]
    # The web reaches each service through its Service on port 80.
    config = _find("ConfigMap", "ww-web")["data"]
    for service in SERVICES:
        _find("Service", service)
        assert config[f"WEB_{service.upper()}_URL"] == f"http://{service}"


def test_every_scheduled_job_runs_as_a_cronjob_or_deployment() -> None:
    runs: dict[str, list[Workload]] = {}
    for w in WORKLOADS:
        if w.kind not in ("CronJob", "Deployment"):
            continue
        for c in w.containers:
            args = c.get("args") or []
            if args[:1] == ["jobs"] and len(args) > 1:
                runs.setdefault(args[1], []).append(w)
    missing, misplaced = [], []
    for name, command in _job_commands().items():
        if name not in runs:
            missing.append(f"ww jobs {name}")
            continue
        service = _job_service(name, command)
        misplaced += [
            f"{w.where} runs {service}'s job {name}"
            for w in runs[name]
            if w.file != f"{service}.yaml"
        ]
    assert not missing, f"scheduled jobs that nothing runs in deploy/k8s: {missing}"
    assert not misplaced, "\n".join(misplaced)


def test_a_process_that_takes_over_a_loop_turns_it_off_in_the_api() -> None:
    for w in WORKLOADS:
        for c in w.containers:
            args = [str(a) for a in c.get("args") or []]
            if len(args) < 2 or (key := (args[0], args[1])) not in TAKES_OVER:
                continue
            service, setting = TAKES_OVER[key]
            (api,) = _workload("Deployment", f"{service}-api").containers
            assert _env(api).get(setting) == "false", (
                f"{w.where} runs `ww {' '.join(key)}`: {service}-api needs {setting}=false"
            )


# --- every container runs a real ww command ------------------------------------------------


def _command_problem(args: list[str]) -> str | None:
    """Why `ww <args>` is not a command line the CLI accepts, or None."""
    command, parent, path = _cli(), None, ["ww"]
    rest = list(args)
    while hasattr(command, "list_commands"):  # a group: the next word names a subcommand
        if not rest:
            return f"`{' '.join(path)}` needs a subcommand"
        word = rest.pop(0)
        parent = command.context_class(command, info_name=path[-1], parent=parent)
        sub = command.get_command(parent, word)
        if sub is None:
            return f"`{' '.join(path)}` has no command {word!r}"
        command = sub
        path.append(word)
    try:
        command.make_context(path[-1], rest, parent=parent)  # parses, runs nothing
    except Exception as exc:  # click's UsageError (typer vendors click: no shared base class)
        return f"`{' '.join(path)}` refuses {rest}: {exc}"
    return None


def test_every_container_runs_a_real_ww_command() -> None:
    problems = []
    for w in WORKLOADS:
        for c in w.containers:
            where = f"{w.where} container {c['name']}"
            if "command" in c:
                problems.append(f"{where}: sets `command`; the image's entrypoint is ww, use args")
                continue
            args = [str(a) for a in c.get("args") or []]
            if (problem := _command_problem(args)) is not None:
                problems.append(f"{where}: {problem}")
            elif args[0] in SERVICE_COMMANDS:
                service = w.file.removesuffix(".yaml")
                if args[1:] != [service]:
                    problems.append(f"{where}: runs {args}, expected [{args[0]!r}, {service!r}]")
    assert not problems, "\n".join(problems)


def test_the_command_check_refuses_what_ww_would_refuse() -> None:
    assert _command_problem(["jobs", "messages", "--loop"]) is None
    assert _command_problem(["migrate", "triage"]) is None
    assert _command_problem(["jobs", "retraige"]) is not None
    assert _command_problem(["jobs", "messages", "--forever"]) is not None
    assert _command_problem(["serve"]) is not None
    assert _command_problem(["jobs"]) is not None


# --- offline validation ---------------------------------------------------------------------


@pytest.mark.parametrize("file", sorted(DOCS))
def test_manifests_are_valid_kubernetes(file: str) -> None:
    import kubernetes_validate

    problems = []
    for doc in DOCS[file]:
        try:
            version = kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            problems.append(
                f"{doc['kind']}/{doc['metadata']['name']}: {exc.message} at {list(exc.path)}"
            )
            continue
        assert version == KUBERNETES_VERSION.rsplit(".", 1)[0], f"validated against {version}"
    assert not problems, "\n".join(problems)


def test_the_validator_catches_a_misspelt_field() -> None:
    import kubernetes_validate

    doc = yaml.safe_load(yaml.safe_dump(_find("Service", "intake")))
    doc["spec"]["selektor"] = doc["spec"].pop("selector")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


# --- consistency ----------------------------------------------------------------------------


def test_names_are_unique_and_deployments_select_their_own_pods() -> None:
    seen: dict[tuple[str, str], str] = {}
    for file, docs in DOCS.items():
        for doc in docs:
            key = (doc["kind"], doc["metadata"]["name"])
            assert key not in seen, f"{key} in {seen.get(key)} and {file}"
            seen[key] = file
    for w in WORKLOADS:
        if w.kind == "Deployment":
            labels = w.doc["spec"]["template"]["metadata"]["labels"]
            assert w.doc["spec"]["selector"] == {"matchLabels": labels}, w.where
            assert labels == {"app": w.name}, w.where


def test_pods_run_as_non_root_with_resources_and_one_pinned_image() -> None:
    images = set()
    for w in WORKLOADS:
        assert w.pod.get("securityContext", {}).get("runAsNonRoot") is True, w.where
        for c in w.containers:
            images.add(c["image"])
            resources = c.get("resources") or {}
            requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
            assert {"cpu", "memory"} <= set(requests), f"{w.where}: requests cpu and memory"
            assert "memory" in limits, f"{w.where}: a memory limit"
    assert len(images) == 1, f"one image for every container, got {images}"
    (image,) = images
    tag = image.rsplit("/", 1)[-1].partition(":")[2]
    assert tag, f"{image} has no tag"
    assert tag != "latest", f"{image} is not pinned"


def test_apis_have_health_and_readiness_probes_on_their_port() -> None:
    for w in WORKLOADS:
        for c in w.containers:
            if not c.get("ports"):
                continue
            ready = "/health" if w.name == "web" else "/ready"  # the web has no database
            assert c["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}, w.where
            assert c["readinessProbe"]["httpGet"] == {"path": ready, "port": "http"}, w.where


def test_jobs_restart_on_failure_and_cronjobs_never_overlap() -> None:
    for w in WORKLOADS:
        if w.kind == "Deployment":
            continue
        assert w.pod["restartPolicy"] == "OnFailure", w.where
        if w.kind == "CronJob":
            assert w.doc["spec"]["concurrencyPolicy"] == "Forbid", w.where


def test_every_process_reads_its_own_config_and_migrates_only_in_the_job() -> None:
    assert _find("ConfigMap", "ww-common")["data"]["WW_MIGRATE_ON_START"] == "false"
    for w in WORKLOADS:
        service = w.file.removesuffix(".yaml")
        for c in w.containers:
            names = _refs(c, "configMapRef") + _refs(c, "secretRef")
            if service == "web":
                assert names == ["ww-web", "ww-web"], w.where
                continue
            assert "ww-common" in _refs(c, "configMapRef"), f"{w.where}: needs ww-common"
            own = [n for n in _refs(c, "configMapRef") if n.startswith(f"ww-{service}")]
            assert own, f"{w.where}: needs its service's ConfigMap ww-{service}*"
            assert f"ww-{service}" in _refs(c, "secretRef"), f"{w.where}: needs Secret ww-{service}"
            foreign = [n for n in names if n != "ww-common" and not n.startswith(f"ww-{service}")]
            assert not foreign, f"{w.where} runs {service} but reads {foreign}"


def test_configmaps_exist_and_secrets_are_documented() -> None:
    configmaps = {
        d["metadata"]["name"] for docs in DOCS.values() for d in docs if d["kind"] == "ConfigMap"
    }
    for w in WORKLOADS:
        text = (K8S_DIR / w.file).read_text(encoding="utf-8")
        secrets = [v["secret"]["secretName"] for v in w.pod.get("volumes") or [] if "secret" in v]
        for c in w.containers:
            for name in _refs(c, "configMapRef"):
                assert name in configmaps, f"{w.where}: no ConfigMap {name} in deploy/k8s"
            for name in [*_refs(c, "secretRef"), *secrets]:
                # The Secret is created by hand: its file says how (kubectl create secret ...).
                assert f"kubectl create secret generic {name} " in text, (
                    f"{w.where}: Secret {name} is not explained in {w.file}'s header"
                )


def _secret_fields(cls: type[Any]) -> set[str]:
    fields = {"database_url"}  # a URL with the password in it
    for name, field in cls.model_fields.items():
        if "SecretStr" in str(field.annotation):
            fields.add(name)
    return fields


def test_secrets_only_by_reference() -> None:
    problems = []
    for file, docs in DOCS.items():
        plain: list[str] = []
        for doc in docs:
            if doc["kind"] == "ConfigMap":
                plain += list(doc.get("data") or {})
            pod = _pod_of(doc)
            for c in (pod or {}).get("containers") or []:
                plain += [e["name"] for e in c.get("env") or [] if "value" in e]
        for name in plain:
            prefix, _, field = name.partition("_")
            if prefix in SETTINGS and field.lower() in _secret_fields(SETTINGS[prefix]):
                problems.append(f"deploy/k8s/{file}: {name} is a secret; put it in a Secret")
    assert not problems, "\n".join(problems)


def test_the_deploy_doc_lists_every_scheduled_job_and_where_it_runs() -> None:
    text = (ROOT / "docs" / "deploy-k8s.md").read_text(encoding="utf-8")
    for name in _job_commands():
        assert f"`ww jobs {name}" in text, f"docs/deploy-k8s.md: no row for ww jobs {name}"
    for w in WORKLOADS:
        if w.kind == "CronJob" or any((c.get("args") or [])[:1] == ["jobs"] for c in w.containers):
            assert f"{w.kind} `{w.name}`" in text, f"docs/deploy-k8s.md does not name {w.where}"
