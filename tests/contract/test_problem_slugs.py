"""One problem catalogue: every problem `type` (its slug) is defined by one Problem class.

Walks every Problem subclass in shared and the four services (all their modules imported) and
fails when two classes set the same slug, or when a `problem_response(slug="...")` spells out a
slug that a class owns; pins the wire values of the shared catalogue."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from collections import defaultdict
from pathlib import Path

import pytest

from coaching.contacts import service as contacts
from coaching.partner.candidates.service import DailyCapReached
from coaching.workplans import service as workplans
from intake.agendas.service import InvalidBlocksError
from intake.claims import idempotency, refusals
from intake.claims import rules as answers
from intake.claims import service as claims
from shared.web import problems
from shared.web.problems import Problem
from triage.questionnaires.service import QuestionnaireInvalidError
from triage.registry.service import ModelFileInvalidError

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("shared", "intake", "triage", "coaching", "starters")


def _import_everything() -> None:
    for name in PACKAGES:
        package = importlib.import_module(name)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{name}."):
            importlib.import_module(info.name)


def _problem_classes() -> list[type[Problem]]:
    _import_everything()
    seen: list[type[Problem]] = [Problem]
    for cls in seen:
        seen.extend(c for c in cls.__subclasses__() if c not in seen)
    return [c for c in seen if c.__module__.split(".")[0] in PACKAGES]


def _where(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def test_the_walk_reaches_shared_and_every_service() -> None:
    # Else the checks below would pass on an empty list.
    packages = {c.__module__.split(".")[0] for c in _problem_classes()}
    assert packages == set(PACKAGES)


def test_no_slug_is_defined_twice() -> None:
    owners: dict[str, list[str]] = defaultdict(list)
    for cls in _problem_classes():
        if "slug" in vars(cls):
            owners[cls.slug].append(_where(cls))
    twice = {slug: where for slug, where in owners.items() if len(where) > 1}
    assert twice == {}, (
        "define each problem type once in shared/web/problems.py and subclass or import it"
    )


def _literal_slugs(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if (
                    kw.arg == "slug"
                    and isinstance(kw.value, ast.Constant)
                    and isinstance(kw.value.value, str)
                ):
                    found.append((node.lineno, kw.value.value))
    return found


def test_no_inline_problem_reuses_a_class_slug() -> None:
    owned = {c.slug: _where(c) for c in _problem_classes() if "slug" in vars(c)}
    sources = [*(ROOT / "shared").rglob("*.py")]
    for service in ("intake", "triage", "coaching", "starters"):
        sources += (ROOT / "services" / service / service).rglob("*.py")
    inline = [
        f"{path.relative_to(ROOT)}:{line} slug={slug!r} (owned by {owned[slug]})"
        for path in sources
        for line, slug in _literal_slugs(path)
        if slug in owned
    ]
    assert inline == [], "use the class's status, slug and title instead"


@pytest.mark.parametrize(
    ("cls", "status", "slug", "title"),
    [
        (problems.ValidationFailed, 422, "validation-error", "Request validation failed"),
        (problems.InvalidField, 422, "validation-error", "Request validation failed"),
        (problems.RateLimited, 429, "rate-limited", "Too many requests"),
        (problems.IdempotencyKeyReuse, 422, "idempotency-key-reuse", "Idempotency key reused"),
        (
            problems.IdempotencyKeyInProgress,
            409,
            "idempotency-key-in-progress",
            "A request with this idempotency key is in progress",
        ),
    ],
)
def test_the_shared_catalogue_keeps_its_wire_values(
    cls: type[Problem], status: int, slug: str, title: str
) -> None:
    assert (cls.status, cls.slug, cls.title) == (status, slug, title)


def test_the_services_raise_the_shared_problems() -> None:
    assert idempotency.IdempotencyKeyReuseError is problems.IdempotencyKeyReuse
    assert claims.IdempotencyKeyInProgressError is problems.IdempotencyKeyInProgress
    assert workplans.IdempotencyKeyReuse is contacts.IdempotencyKeyReuse
    assert workplans.IdempotencyKeyInProgress is problems.IdempotencyKeyInProgress
    for limited in (refusals.RegistrationThrottledError, DailyCapReached):
        assert issubclass(limited, problems.RateLimited)
    for invalid in (
        InvalidBlocksError,
        answers.UnfitAnswers,
        ModelFileInvalidError,
        QuestionnaireInvalidError,
    ):
        assert issubclass(invalid, problems.ValidationFailed)
    # The agendas' blocks answer with their own title, as before.
    assert InvalidBlocksError.title == "Validation error"
