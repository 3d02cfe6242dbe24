"""Response models of the sector list."""

from __future__ import annotations

from pydantic import BaseModel, Field

from shared.reference.sectors import SectorList


class SectorRead(BaseModel):
    """One sector code with its labels."""

    code: str = Field(description="What requests send, e.g. `logistics`")
    label_nl: str = Field(description="Dutch label, e.g. `Transport en logistiek`")
    label_en: str
    sbi_sections: list[str] = Field(description="The SBI 2008 main sections (CBS) it groups")


class SectorListRead(BaseModel):
    """Every sector code, in the list's order; `version` changes when the list does."""

    version: str
    valid_from: str
    items: list[SectorRead]

    @classmethod
    def of(cls, sectors: SectorList) -> SectorListRead:
        """The list as served."""
        return cls(
            version=sectors.version,
            valid_from=sectors.valid_from,
            items=[
                SectorRead(
                    code=s.code,
                    label_nl=s.label_nl,
                    label_en=s.label_en,
                    sbi_sections=list(s.sbi_sections),
                )
                for s in sectors.sectors
            ],
        )
