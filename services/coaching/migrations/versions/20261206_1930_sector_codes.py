"""sectors: free-text sectors of cases, partner profiles and vacancies become codes

Before codes were enforced, a claim's `sector` (copied into the case and from there into
the partner profile) and a profile's own sector were free text ("zorg", "Logistiek",
"transport"). Each distinct value is mapped with `shared.reference.sectors.to_sector_code`:
a code, a Dutch or English label or a known alias (sectors.json `aliases`, any case,
accents or separators) becomes its code; anything else becomes `other` ("Overig of
onbekend"); NULL stays NULL. Intake keeps the claim's original text, so nothing is lost.
Vacancies had a code list already; they are checked all the same.

The mapping is imported, not frozen here, so that events still in flight (mapped by the
same function when they arrive) and old rows end up with the same code.

Downgrade keeps the codes: they are valid free text, and the old spellings are gone.

Revision ID: coaching_0013_sectors
Revises: coaching_0012
Create Date: 2026-12-06 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.reference.sectors import OTHER, load_sectors, to_sector_code

revision: str = "coaching_0013_sectors"
down_revision: str | None = "coaching_0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("cases", "partner_profiles", "partner_vacancies")
NOT_NULL = {"partner_vacancies"}  # a blank there becomes `other`, elsewhere NULL
_CHUNK = 200  # distinct spellings per UPDATE (bind parameters stay well under limits)


def upgrade() -> None:
    conn = op.get_bind()
    sectors = load_sectors()
    for table in TABLES:
        values = conn.execute(
            sa.text(f"SELECT DISTINCT sector FROM {table} WHERE sector IS NOT NULL")
        ).scalars()
        blank = OTHER if table in NOT_NULL else None
        mapping = {v: to_sector_code(v) or blank for v in values if sectors.get(v) is None}
        spellings = list(mapping)
        for start in range(0, len(spellings), _CHUNK):
            _update(conn, table, {s: mapping[s] for s in spellings[start : start + _CHUNK]})


def _update(conn: sa.Connection, table: str, mapping: dict[str, str | None]) -> None:
    """One pass over the table: `CASE sector WHEN old THEN code ... END` for these spellings."""
    params: dict[str, str | None] = {}
    whens = []
    for i, (old, code) in enumerate(mapping.items()):
        params[f"o{i}"], params[f"c{i}"] = old, code
        whens.append(f"WHEN :o{i} THEN :c{i}")
    olds = ", ".join(f":o{i}" for i in range(len(mapping)))
    conn.execute(
        sa.text(
            f"UPDATE {table} SET sector = CASE sector {' '.join(whens)} END "
            f"WHERE sector IN ({olds})"
        ),
        params,
    )


def downgrade() -> None:
    """Nothing to undo: codes are valid free text and the old spellings are not kept."""
