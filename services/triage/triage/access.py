"""Who may call which triage endpoints: the role sets several routers share (a leaf module).

The row-level checks behind them are in `triage.claims.service` (`visible_claim`).
"""

from __future__ import annotations

from shared.web.auth import Role

# Reading a claim's triage (scores, explanation, answers, overrides). Row-level: a claimant
# their own claim, a coach their caseload, a team lead their office, triage analysts and
# admins every claim.
CLAIM_READ_ROLES = (Role.CLAIMANT, Role.COACH, Role.TEAM_LEAD, Role.TRIAGE_ANALYST, Role.ADMIN)
