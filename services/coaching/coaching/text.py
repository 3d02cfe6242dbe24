"""Free text of the coaching API: never a BSN.

Free text (reasons, notes, employers, descriptions) ends up in the audit log and, for
some fields, in events on Kafka, where a BSN must never appear. One validator for every
schema of the service, so a new field cannot get a weaker copy.
"""

from __future__ import annotations

from pydantic import AfterValidator

from shared.bsn import mask_bsn_in_text


def no_bsn(value: str) -> str:
    """Refuse text containing anything that passes as a BSN (the 11-proof)."""
    if mask_bsn_in_text(value) != value:
        raise ValueError("must not contain a BSN")
    return value


NoBsn = AfterValidator(no_bsn)
"""Annotate a `str` field with this (`Annotated[str, ..., NoBsn]`): a BSN is a 422."""
