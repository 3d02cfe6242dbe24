"""`shared/` imports no service and not `ww/`; `ww/` is the one place that wires them.

The check reads every module of `shared/` (ast, no import): top-level imports, imports
inside functions and `TYPE_CHECKING` blocks, and the importlib calls (`import_module`,
`__import__`, `find_spec`), whose module name must be a literal so it can be checked.
The forbidden names come from the tree itself: `ww` and every top-level package under
`services/*/`, so a new service or tools package is covered without editing this file.

And the commands the deployment runs (`args:` of deploy/k8s, `command:` of
docker-compose.yml) parse against the `ww` command line, so a renamed job or option fails
here rather than in a CronJob at night.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / "shared"
IMPORTLIB_CALLS = {"import_module", "__import__", "find_spec"}


def forbidden_packages(root: Path = ROOT) -> set[str]:
    """`ww` and the top-level packages of every service directory (intake, web, ...)."""
    found = {"ww"}
    for init in root.glob("services/*/*/__init__.py"):
        if init.parent.name not in ("tests", "migrations"):
            found.add(init.parent.name)
    return found


def _module_of(path: Path, package_root: Path) -> str:
    parts = path.relative_to(package_root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(module: str | None, level: int, current: str, is_package: bool) -> str:
    if level == 0:
        return module or ""
    base = current.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, *([module] if module else [])])


def imported_names(path: Path, package_root: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for every import a module could make, wherever it sits in the file.

    A call into importlib with a computed name yields `<dynamic>`: it cannot be checked,
    so it counts as a violation."""
    current = _module_of(path, package_root)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node.module, node.level, current, path.name == "__init__.py")
            yield node.lineno, base
            # `from importlib import import_module` is fine; `from x import y` may import x.y.
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"
        elif isinstance(node, ast.Call):
            func = node.func
            name = (
                func.attr
                if isinstance(func, ast.Attribute)
                else func.id
                if isinstance(func, ast.Name)
                else None
            )
            if name not in IMPORTLIB_CALLS or not node.args:
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                yield node.lineno, first.value
            else:
                yield node.lineno, "<dynamic>"


def violations(package_root: Path, forbidden: set[str]) -> list[str]:
    found: dict[str, None] = {}  # one entry per line, in file order
    for path in sorted(package_root.rglob("*.py")):
        for line, module in imported_names(path, package_root):
            top = module.split(".")[0]
            where = f"{path.relative_to(package_root.parent)}:{line}"
            if (module == "<dynamic>" or top in forbidden) and not any(
                f.startswith(f"{where}:") for f in found
            ):
                found[f"{where}: {module}"] = None
    return list(found)


def test_the_forbidden_names_cover_ww_and_every_service() -> None:
    assert {"ww", "intake", "triage", "coaching", "starters", "web"} <= forbidden_packages()


def test_shared_imports_no_service_and_not_ww() -> None:
    found = violations(SHARED, forbidden_packages())
    assert not found, (
        "shared/ must not import a service or ww/ (move the wiring to ww/):\n" + "\n".join(found)
    )


def test_the_check_sees_every_way_of_importing(tmp_path: Path) -> None:
    """Planted violations, one per form; the clean module beside them passes."""
    pkg = tmp_path / "shared"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "clean.py").write_text(
        "import importlib\nfrom importlib import resources\nfrom . import sub\n"
        "from .sub import thing\nimportlib.import_module('shared.sub')\n"
    )
    planted = {
        "top.py": "import intake.main\n",
        "from_.py": "from coaching.settings import CoachingSettings\n",
        "lazy.py": "def f():\n    from triage.main import SPEC\n    return SPEC\n",
        "typing_only.py": (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from web.app import x\n"
        ),
        "importlib_.py": "import importlib\nimportlib.import_module('starters.main')\n",
        "bare.py": "from importlib import import_module\nimport_module('intake.jobs')\n",
        "dunder.py": "__import__('ww.cli')\n",
        "dynamic.py": "import importlib\nname = 'x'\nimportlib.import_module(f'{name}.main')\n",
        "root.py": "from ww.registry import load_spec\n",
    }
    for name, text in planted.items():
        (pkg / "sub" / name).write_text(text)
    found = violations(pkg, {"ww", "intake", "triage", "coaching", "starters", "web"})
    flagged = {line.split(":")[0].rsplit("/", 1)[-1] for line in found}
    assert flagged == set(planted), found


# --- what the deployment runs parses against `ww` ------------------------------------------


def _deployed_commands() -> Iterator[tuple[str, list[str]]]:
    def walk(node: Any, key: str) -> Iterator[list[str]]:
        if isinstance(node, dict):
            for k, v in node.items():
                if k == key and isinstance(v, list) and all(isinstance(a, str) for a in v):
                    yield v
                else:
                    yield from walk(v, key)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item, key)

    for manifest in sorted((ROOT / "deploy" / "k8s").glob("*.yaml")):
        for document in yaml.safe_load_all(manifest.read_text(encoding="utf-8")):
            for args in walk(document, "args"):
                yield manifest.name, args
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    for args in walk(compose.get("services", {}), "command"):
        yield "docker-compose.yml", args


DEPLOYED = list(_deployed_commands())


def test_the_deployment_runs_ww_commands() -> None:
    jobs = {tuple(args) for _, args in DEPLOYED if args[:1] == ["jobs"]}
    # The CronJobs of intake, coaching and starters (triage's is a comment in intake.yaml).
    assert {("jobs", "reminders"), ("jobs", "obligations"), ("jobs", "starters-reminders")} <= jobs


def _group_of(command: Any) -> bool:
    # typer 0.29 vendors click: duck-typed, so it holds for click's and typer's groups.
    return hasattr(command, "list_commands")


@pytest.mark.parametrize(
    ("source", "args"), DEPLOYED, ids=[f"{s}:{' '.join(a)}" for s, a in DEPLOYED]
)
def test_a_deployed_command_parses(source: str, args: list[str]) -> None:
    from ww.cli import app

    command: Any = typer.main.get_command(app)
    ctx = command.make_context("ww", [], resilient_parsing=True)
    rest = list(args)
    path: list[str] = []
    while _group_of(command):
        assert rest, f"{source}: `ww {' '.join(args)}` names a group, not a command"
        name, *rest = rest
        sub = command.get_command(ctx, name)
        assert sub is not None, f"{source}: `ww {' '.join([*path, name])}` is no command"
        path.append(name)
        command = sub
    assert path, f"{source}: `{args}` names no command"
    # Parses the options and arguments (an unknown option or a missing argument raises).
    command.make_context(" ".join(["ww", *path]), rest)


def test_the_parse_check_refuses_a_renamed_job_or_option() -> None:
    from ww.cli import app

    group: Any = typer.main.get_command(app)
    ctx = group.make_context("ww", [], resilient_parsing=True)
    jobs = group.get_command(ctx, "jobs")
    assert jobs.get_command(ctx, "reminder") is None
    with pytest.raises(Exception, match="No such option"):
        jobs.get_command(ctx, "webhooks").make_context("ww jobs webhooks", ["--limt", "5"])


def test_ww_jobs_lists_every_services_jobs() -> None:
    from ww.cli import app

    group: Any = typer.main.get_command(app)
    ctx = group.make_context("ww", [], resilient_parsing=True)
    jobs = group.get_command(ctx, "jobs")
    assert set(jobs.list_commands(ctx)) == {
        "reminders",
        "planning",
        "messages",
        "print-batch",
        "retriage",
        "obligations",
        "webhooks",
        "starters-reminders",
    }
