"""One way to put a decimal on the wire: a string with exactly two places ("1234.50").

Money, hours and percentages leave the services as `Decimal2`: pydantic's plain `Decimal`
writes `Decimal("30")` as "30" and `Decimal("30.00")` (from a Numeric(5,2) column) as
"30.00", so the same value came out two ways depending on where it was read from, and
floats in events ("29.0") made a third. JSON numbers would lose exactness in clients that
parse them as binary floats; a string with a fixed number of places does not
(ADR 0019).

Reading stays lenient: a `Decimal2` field accepts a JSON number or a string, so events
written before the change (numbers) still parse.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import PlainSerializer, WithJsonSchema

TWO_PLACES = Decimal("0.01")
DECIMAL2_PATTERN = r"^-?\d+\.\d{2}$"
DECIMAL2_JSON_SCHEMA = {
    "type": "string",
    "pattern": DECIMAL2_PATTERN,
    "examples": ["1234.50"],
    "description": "A decimal as a string with exactly two places",
}


def two_places(value: Decimal | int | float | str) -> str:
    """The decimal as a string with exactly two places, rounded half up ("1234.50")."""
    quantized = Decimal(str(value)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    # abs: "-0.00" would be a second spelling of zero.
    return format(quantized if quantized else abs(quantized), "f")


Decimal2 = Annotated[
    Decimal,
    PlainSerializer(two_places, return_type=str, when_used="json"),
    WithJsonSchema(DECIMAL2_JSON_SCHEMA, mode="serialization"),
]
"""A `Decimal` that serialises to JSON as a string with two places (see the module)."""
