"""The four services by name: where each one's ServiceSpec lives."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.runtime import ServiceSpec

# name -> the module that defines the service's SPEC. Imported on demand, so `ww token` or
# `ww mail list` does not load four services.
SPEC_MODULES = {
    "intake": "intake.main",
    "triage": "triage.main",
    "coaching": "coaching.main",
    "starters": "starters.main",
}
SERVICE_NAMES = tuple(SPEC_MODULES)


def load_spec(name: str) -> ServiceSpec:
    """The ServiceSpec of a service by name."""
    if name not in SPEC_MODULES:
        raise ValueError(f"unknown service {name!r}; choose from {', '.join(SERVICE_NAMES)}")
    spec: ServiceSpec = importlib.import_module(SPEC_MODULES[name]).SPEC
    return spec
