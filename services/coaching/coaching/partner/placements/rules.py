"""The limits on partial placements (issue 13 item 8b, docs/partner-placements.md).

Each placement is a line in the agency's reward ledger, and a partial one leaves the case
open, so without limits one agency could report the same candidate over and over. The
numbers are settings (`COACHING_PARTNER_PARTIAL_*`), the policy is here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PartialLimits:
    """Per candidate and quarter of the start date (the ledger's period).

    `per_client_per_quarter`: partial placements one agency may report for one candidate.
    `max_hours_per_week`: the hours of all partial placements of the candidate (every
    agency) together: a partial job is fewer hours than the claimant lost, and nobody loses
    more than a full working week.
    """

    per_client_per_quarter: int = 2
    max_hours_per_week: float = 40.0


DEFAULT_LIMITS = PartialLimits()
