"""Office reference data: postcode coverage, postcode normalisation, neighbour tables."""

from __future__ import annotations

import datetime as dt
import json
import re
from importlib import resources

import pytest

from shared.reference import InvalidPostcodeError, load_offices, normalize_postcode

MAX_MINUTES = [0, 30, 45, 60, 75, 10_000]


def test_every_postcode_area_maps_to_exactly_one_office() -> None:
    directory = load_offices()
    for digits in range(1000, 10_000):
        covering = [
            o.code for o in directory.offices for lo, hi in o.postcode_ranges if lo <= digits <= hi
        ]
        assert len(covering) == 1, f"{digits}: served by {covering or 'no office'}"
        assert directory.for_postcode(f"{digits} AB").code == covering[0]
        assert directory.for_postcode(f"{digits}zz").code == covering[0]


def test_ranges_are_well_formed() -> None:
    for office in load_offices().offices:
        assert office.postcode_ranges, office.code
        for lo, hi in office.postcode_ranges:
            assert 1000 <= lo <= hi <= 9999, (office.code, lo, hi)


def test_known_postcodes() -> None:
    directory = load_offices()
    assert directory.for_postcode("1012 AB").code == "AMS"
    assert directory.for_postcode("3511 aa").city == "Utrecht"
    assert directory.for_postcode("9999ZZ").code == "GRO"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1234 AB", "1234 AB"),
        ("1234ab", "1234 AB"),
        ("1234aB", "1234 AB"),
        ("  1234 ab  ", "1234 AB"),
        ("9999 ZZ", "9999 ZZ"),
        ("1000AA", "1000 AA"),
        ("1234 SB", "1234 SB"),
    ],
)
def test_normalize_postcode(raw: str, expected: str) -> None:
    assert normalize_postcode(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "1234 SA",
        "1234 SD",
        "1234 SS",
        "1234sa",
        "1234 sd",
        "0123 AB",
        "0999AB",
        "123 AB",
        "12345 AB",
        "1234 A",
        "1234 ABC",
        "1234  AB",
        "1234-AB",
        "AB 1234",
        "",
        "1234 A1",
    ],
)
def test_normalize_postcode_rejects(raw: str) -> None:
    with pytest.raises(InvalidPostcodeError):
        normalize_postcode(raw)
    with pytest.raises(InvalidPostcodeError):
        load_offices().for_postcode(raw)
    assert issubclass(InvalidPostcodeError, ValueError)


@pytest.mark.parametrize("max_minutes", MAX_MINUTES)
def test_neighbours_sorted_and_within_max_minutes(max_minutes: int) -> None:
    directory = load_offices()
    for office in directory.offices:
        neighbours = directory.neighbours(office.code, max_minutes=max_minutes)
        minutes = [n.travel_minutes for n in neighbours]
        assert minutes == sorted(minutes), f"{office.code}: not nearest first"
        assert all(m <= max_minutes for m in minutes)
        # Nothing within the limit is left out.
        assert len(neighbours) == sum(n.travel_minutes <= max_minutes for n in office.neighbours)


def test_neighbour_codes_exist_and_are_consistent() -> None:
    directory = load_offices()
    for office in directory.offices:
        codes = [n.office_code for n in office.neighbours]
        assert len(codes) == len(set(codes)), f"{office.code}: duplicate neighbour"
        assert office.code not in codes, f"{office.code} lists itself"
        for n in office.neighbours:
            other = directory.get(n.office_code)
            assert other is not None, f"{office.code}: unknown neighbour {n.office_code}"
            assert n.travel_minutes > 0
            back = {m.office_code: m.travel_minutes for m in other.neighbours}
            assert back.get(office.code) == n.travel_minutes, (office.code, n.office_code)


def test_offices_have_identity_and_plausible_coordinates() -> None:
    directory = load_offices()
    codes = [o.code for o in directory.offices]
    assert codes == sorted(codes)
    assert len(codes) == len(set(codes))
    for office in directory.offices:
        assert re.fullmatch(r"[A-Z]{3}", office.code)
        assert office.name
        assert office.city
        assert 50.7 <= office.latitude <= 53.6, office.code
        assert 3.3 <= office.longitude <= 7.3, office.code
        assert directory.get(office.code) is office
    assert directory.get("XXX") is None


def test_file_is_versioned() -> None:
    raw = json.loads(
        resources.files("shared.reference").joinpath("offices.json").read_text("utf-8")
    )
    directory = load_offices()
    assert raw["version"]
    assert directory.version == raw["version"]
    assert raw["valid_from"]
    assert directory.valid_from == raw["valid_from"]
    dt.date.fromisoformat(directory.valid_from)
    assert len(directory.offices) == len(raw["offices"])
    assert load_offices() is directory, "the table is loaded once"
