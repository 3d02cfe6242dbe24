"""The paper of a letter: A4 folded for a window envelope, the address field that shows
through the window of every envelope we post in, the margins and the type (NEN 1026 practice).

Constants only (and the envelope geometry they are derived from); `letters` lays text out on them.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- Paper ----------------------------------------------------------------------------------
A4_WIDTH_MM = 210.0
A4_HEIGHT_MM = 297.0
# An A4 folded in three for a window envelope (DIN 676 / NEN 1026 fold marks): the top panel,
# the one behind the window, is 105 mm high; the second fold is at 210 mm.
FOLD_TOP_PANEL_MM = 105.0
FOLD_SECOND_MM = 210.0
PUNCH_MARK_MM = A4_HEIGHT_MM / 2


@dataclass(frozen=True, slots=True)
class WindowEnvelope:
    """A window envelope for a tri-folded A4 (millimetres; the window measured from the envelope's
    left and bottom edges, the way envelope makers specify it)."""

    name: str
    width_mm: float
    height_mm: float
    window_left_mm: float
    window_bottom_mm: float
    window_width_mm: float
    window_height_mm: float

    @property
    def window_top_mm(self) -> float:
        """Top edge of the window, from the top of the envelope."""
        return self.height_mm - self.window_bottom_mm - self.window_height_mm

    def visible_on_page(self) -> tuple[float, float, float, float]:
        """(left, top, right, bottom) of the part of the page that shows through the window
        wherever the folded letter lies in the envelope: it can slide right by
        `width - 210` mm and down by `height - 105` mm."""
        play_x = self.width_mm - A4_WIDTH_MM
        play_y = self.height_mm - FOLD_TOP_PANEL_MM
        return (
            self.window_left_mm,
            self.window_top_mm,
            self.window_left_mm + self.window_width_mm - play_x,
            self.window_top_mm + self.window_height_mm - play_y,
        )


# The envelopes Dutch offices post A4 letters in: EA5/6 (110 x 220 mm, the DL size, sold in the
# Netherlands as "EA5/6 venster links") and C5/6 (114 x 229 mm), both with the left address
# window of ISO 269 / DIN 680: 90 x 45 mm, 20 mm from the left edge and 15 mm from the bottom
# edge. PostNL asks for the address wholly and only in the window, left-aligned, nothing else
# in it but an optional return line above it. Source: DIN 680 window positions for DL and
# C6/5 (the same window in both); the agency's envelope supplier has the final word: if their
# window differs, change these constants (a layout change, not a code change).
ENVELOPE_EA5_6 = WindowEnvelope("EA5/6 (DL) venster links", 220, 110, 20, 15, 90, 45)
ENVELOPE_C5_6 = WindowEnvelope("C5/6 venster links", 229, 114, 20, 15, 90, 45)
ENVELOPES = (ENVELOPE_EA5_6, ENVELOPE_C5_6)

# Keep the text this far inside the always-visible area: the fold is never exact.
ADDRESS_CLEARANCE_MM = 2.0


def _address_field() -> tuple[float, float, float, float]:
    areas = [e.visible_on_page() for e in ENVELOPES]
    c = ADDRESS_CLEARANCE_MM
    return (
        max(a[0] for a in areas) + c,
        max(a[1] for a in areas) + c,
        min(a[2] for a in areas) - c,
        min(a[3] for a in areas) - c,
    )


# The address field on the page (mm from the page's left and top edges): visible through the
# window of every envelope above in every position the letter can take (x 22..89, y 56..88).
ADDRESS_FIELD_LEFT_MM, ADDRESS_FIELD_TOP_MM, ADDRESS_FIELD_RIGHT_MM, ADDRESS_FIELD_BOTTOM_MM = (
    _address_field()
)
ADDRESS_FIELD_WIDTH_MM = ADDRESS_FIELD_RIGHT_MM - ADDRESS_FIELD_LEFT_MM

# --- Margins and type -----------------------------------------------------------------------
LEFT_MARGIN_MM = ADDRESS_FIELD_LEFT_MM  # one left margin for every block (NEN 1026: flush left)
RIGHT_MARGIN_MM = 20.0
TEXT_WIDTH_MM = A4_WIDTH_MM - LEFT_MARGIN_MM - RIGHT_MARGIN_MM
LETTERHEAD_TOP_MM = 15.0
SENDER_COLUMN_LEFT_MM = 130.0  # right of every window (the windows end at 110 mm)
REFERENCE_TOP_MM = 100.0  # under every window (the lowest window edge is at 99 mm)
BODY_TOP_MM = 122.0
CONTINUATION_TOP_MM = 30.0
BOTTOM_MARGIN_MM = 25.0
FOOTER_BASELINE_MM = A4_HEIGHT_MM - 12.0
FONT = "helvetica"
ENCODING = "cp1252"  # the core fonts' WinAnsiEncoding
BODY_PT = 10.0
BODY_LINE_MM = 5.0
ADDRESS_PT = 10.0
ADDRESS_LINE_MM = 4.5
RETURN_PT = 7.0
RETURN_MIN_PT = 5.5
RETURN_LINE_MM = 3.5
RETURN_GAP_MM = 1.0
LABEL_WIDTH_MM = 30.0
BULLET_INDENT_MM = 5.0

# How many lines each part of the address may take; their sum must fit the field.
NAME_MAX_LINES = 2
STREET_MAX_LINES = 2
ADDRESS_MAX_LINES = NAME_MAX_LINES + STREET_MAX_LINES + 2  # + postcode/city + country
if (
    RETURN_LINE_MM + RETURN_GAP_MM + ADDRESS_MAX_LINES * ADDRESS_LINE_MM
    > ADDRESS_FIELD_BOTTOM_MM - ADDRESS_FIELD_TOP_MM
):  # pragma: no cover - a guard on the constants above
    raise RuntimeError("the address lines do not fit the window")
