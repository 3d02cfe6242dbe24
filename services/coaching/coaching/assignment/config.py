"""The assignment numbers of a running service (its settings), for routers."""

from __future__ import annotations

from coaching.assignment.rules import DEFAULT_POLICY, AssignmentPolicy
from coaching.settings import CoachingSettings
from shared.runtime import ServiceContainer


def policy_of(container: ServiceContainer) -> AssignmentPolicy:
    """The assignment policy of the container's settings (the default for other settings)."""
    settings = container.settings
    if isinstance(settings, CoachingSettings):
        return settings.assignment_policy()
    return DEFAULT_POLICY
