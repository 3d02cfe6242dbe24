"""Where the four service specs live, imported lazily (shared never imports them at module load)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.runtime import ServiceSpec

SERVICE_NAMES = ("intake", "triage", "coaching", "starters")


def load_spec(name: str) -> ServiceSpec:
    """The ServiceSpec of a service by name."""
    if name not in SERVICE_NAMES:
        raise ValueError(f"unknown service {name!r}; choose from {', '.join(SERVICE_NAMES)}")
    module = importlib.import_module(f"{name}.main")
    spec: ServiceSpec = module.SPEC
    return spec
