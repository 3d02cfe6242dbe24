"""The team lead's chart geometry: bars scaled to the top, gaps for missing values."""

from __future__ import annotations

from web.team_lead import CHART_H, bar_chart, line_chart


def test_bars_scale_to_the_top_and_skip_missing_values() -> None:
    chart = bar_chart(["W1", "W2", "W3"], [("share", [50.0, None, 100.0])], top=100.0)
    assert [b.value for b in chart["bars"]] == [50.0, 100.0]
    half, full = chart["bars"]
    assert full.height == 2 * half.height
    assert full.y + full.height == chart["base"] == half.y + half.height
    assert [t["label"] for t in chart["ticks"]] == ["W1", "W2", "W3"]


def test_grouped_bars_side_by_side_and_a_zero_draws_nothing() -> None:
    chart = bar_chart(["a"], [("x", [0.0]), ("y", [4.0])])
    zero, four = chart["bars"]
    assert zero.height == 0
    assert (zero.css, four.css) == ("s0", "s1")
    assert four.x > zero.x
    assert chart["top"] == 4.0


def test_a_line_leaves_a_gap_where_a_week_has_no_value() -> None:
    chart = line_chart(["W1", "W2", "W3"], [2.0, None, 4.0])
    assert [p["value"] for p in chart["points"]] == [2.0, 4.0]
    low, high = chart["points"]
    assert high["y"] < low["y"] < CHART_H
    assert chart["path"] == f"{low['x']},{low['y']} {high['x']},{high['y']}"
