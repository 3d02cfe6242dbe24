"""The fit and model reports as tables: Markdown for files and docs, rich for the terminal.

Each table is built once (title, headers, rows of text) and rendered both ways, so the
terminal and the Markdown show the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from triage_fitting.evaluate import GROUPINGS

GROUPING_TITLES = {
    "age_band": "Age band",
    "education_level": "Education level",
    "region": "Region (landsdeel; not a model input)",
}
DEFINITIONS = (
    "Flagged = segment personal service (p <= threshold). "
    "Base rate = share that found work within 12 months; mean p = mean predicted chance; "
    "cal. = mean p - base rate (> 0: the model is too optimistic about the group, so it "
    "flags it too little); selected = share flagged; "
    "FPR = of those who found work, the share flagged (flagged for personal service but "
    "found work); FNR = of those who did not find work, the share not flagged (digital "
    "service but no work). Max gap = highest - lowest over groups with at least "
    "{min_group_size} claimants (groups marked * are smaller: shown, not compared)."
)


@dataclass
class Table:
    """A titled table of text cells; `notes` are printed under it."""

    title: str
    headers: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)
    text_columns: int = 1  # leading columns of text (left-aligned); the rest are numbers


def _num(x: float | None, digits: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def _signed(x: float | None, digits: int = 3) -> str:
    return "n/a" if x is None else f"{x:+.{digits}f}"


def overall_table(evaluations: dict[str, dict[str, Any]], *, title: str) -> Table:
    """One row per evaluated model: n, base rate, mean p, AUC, Brier, selection and errors."""
    rows = []
    for label, ev in evaluations.items():
        o = ev["overall"]
        rows.append(
            [
                label,
                str(o["n"]),
                _num(o["base_rate"]),
                _num(o["mean_predicted"]),
                _num(o["auc"], 4),
                _num(o["brier"], 4),
                _num(o["log_loss"], 4),
                _num(o["selection_rate"]),
                _num(o["fpr"]),
                _num(o["fnr"]),
            ]
        )
    return Table(
        title,
        ["model", "n", "base rate", "mean p", "AUC", "Brier", "log loss", "selected", "FPR", "FNR"],
        rows,
    )


def calibration_table(ev: dict[str, Any], *, title: str) -> Table:
    """Deciles of p: count, range, mean predicted, observed, difference."""
    rows = [
        [
            str(b["bin"]),
            str(b["n"]),
            f"{b['p_min']:.3f}-{b['p_max']:.3f}",
            _num(b["mean_predicted"]),
            _num(b["observed"]),
            _signed(b["difference"]),
        ]
        for b in ev["calibration"]
    ]
    return Table(title, ["decile", "n", "p range", "mean p", "observed", "difference"], rows)


def fairness_tables(ev: dict[str, Any], *, title_prefix: str = "") -> list[Table]:
    """One table per grouping with a closing max-gap row."""
    min_size = ev["min_group_size"]
    tables = []
    for grouping in GROUPINGS:
        section = ev["fairness"].get(grouping)
        if section is None:
            continue
        rows = []
        for g in section["groups"]:
            mark = "" if g["n"] >= min_size else " *"
            rows.append(
                [
                    f"{g['group']}{mark}",
                    str(g["n"]),
                    _num(g["base_rate"]),
                    _num(g["mean_predicted"]),
                    _signed(g["calibration_in_the_large"]),
                    _num(g["selection_rate"]),
                    _num(g["fpr"]),
                    _num(g["fnr"]),
                ]
            )
        gaps = section["max_gap"]
        metrics = [
            "base_rate",
            "mean_predicted",
            "calibration_in_the_large",
            "selection_rate",
            "fpr",
            "fnr",
        ]
        rows.append(["max gap", ""] + [_num(gaps[k]["gap"]) if gaps[k] else "n/a" for k in metrics])
        notes = []
        for k, label in (
            ("calibration_in_the_large", "cal."),
            ("selection_rate", "selected"),
            ("fpr", "FPR"),
            ("fnr", "FNR"),
        ):
            if gaps[k]:
                notes.append(f"{label}: highest {gaps[k]['highest']}, lowest {gaps[k]['lowest']}")
        tables.append(
            Table(
                f"{title_prefix}{GROUPING_TITLES.get(grouping, grouping)}",
                ["group", "n", "base rate", "mean p", "cal.", "selected", "FPR", "FNR"],
                rows,
                ["; ".join(notes)] if notes else [],
            )
        )
    return tables


def coefficient_table(report: dict[str, Any]) -> Table:
    """Base and fitted coefficients with standard errors and their distance in SEs."""
    rows = []
    for c in report["coefficients"]:
        se = c["se"]
        z = None if not se else (c["fitted"] - c["base"]) / se
        rows.append(
            [
                c["feature"],
                c["level"] or "",
                f"{c['base']:+.4f}",
                f"{c['fitted']:+.4f}",
                "not estimated" if se is None else f"{se:.4f}",
                _signed(z, 2),
            ]
        )
    return Table(
        "Coefficients (log-odds; design order of the base model)",
        ["feature", "level", "base", "fitted", "SE", "(fitted - base) / SE"],
        rows,
        text_columns=2,
    )


# Assembling ---------------------------------------------------------------------------------


def fit_tables(report: dict[str, Any]) -> list[Table]:
    """Everything in a fit report, in print order."""
    held_out = report["held_out"]
    version, base = report["model_version"], report["base_version"]
    return [
        coefficient_table(report),
        overall_table(
            {f"{version} (fitted)": held_out["fitted"], f"{base} (base)": held_out["base"]},
            title=f"Held-out performance (n={report['data']['n_test']})",
        ),
        calibration_table(held_out["fitted"], title=f"Calibration of {version} (held out)"),
        *fairness_tables(held_out["fitted"], title_prefix=f"Fairness of {version}: "),
    ]


def model_tables(report: dict[str, Any]) -> list[Table]:
    """Everything in a model report (no fitting), in print order."""
    ev = report["evaluation"]
    version = report["model_version"]
    return [
        overall_table({version: ev}, title=f"Performance on {report['data']['name']}"),
        calibration_table(ev, title=f"Calibration of {version}"),
        *fairness_tables(ev, title_prefix=f"Fairness of {version}: "),
    ]


# Markdown -----------------------------------------------------------------------------------


def markdown_table(table: Table, *, heading: str = "###") -> str:
    """A GitHub-flavoured Markdown table with its title as a heading."""
    align = ["---" if i < table.text_columns else "---:" for i in range(len(table.headers))]
    lines = [f"{heading} {table.title}", ""]
    lines.append("| " + " | ".join(table.headers) + " |")
    lines.append("|" + "|".join(align) + "|")
    lines.extend("| " + " | ".join(r) + " |" for r in table.rows)
    if table.notes:
        lines.append("")
        lines.extend(table.notes)
    return "\n".join(lines) + "\n"


def fit_markdown(report: dict[str, Any]) -> str:
    """The fit report as a Markdown document."""
    d = report["data"]
    held_out = report["held_out"]["fitted"]
    parts = [
        f"# Fit report: {report['model_version']}\n",
        f"- Base model (encoding and comparison): `{report['base_version']}`",
        f"- Data: {d['description']}" + (f" (sha256 `{d['sha256']}`)" if d["sha256"] else ""),
        f"- {d['n']} claimants: {d['n_train']} to fit, {d['n_test']} held out "
        f"(random, seed {d['split_seed']}); share that found work {d['base_rate']:.3f}",
        f"- Fitter: {report['fitter']['name']}; {report['fitter']['iterations']} iterations; "
        f"coefficients rounded to {report['fitter']['coefficient_decimals']} decimals",
        f"- Segment threshold: personal service at p <= "
        f"{held_out['threshold_personal_at_or_below']}",
    ]
    if report["not_estimated"]:
        names = ", ".join(f"{c['feature']}={c['level']}" for c in report["not_estimated"])
        parts.append(f"- Not estimable (kept at 0): {names}")
    parts.append("\nNot activated: activation is a separate, audited admin action.\n")
    tables = fit_tables(report)
    parts.append("## Performance and calibration (held out)\n")
    parts.extend(markdown_table(t) for t in tables[1:3])
    parts.append(
        "## Fairness report (held out)\n\n"
        + DEFINITIONS.format(min_group_size=held_out["min_group_size"])
        + "\n"
    )
    parts.extend(markdown_table(t) for t in tables[3:])
    parts.append("## Coefficients\n")
    parts.append(markdown_table(tables[0]))
    return "\n".join(parts)


def model_markdown(report: dict[str, Any]) -> str:
    """The model report (an existing model evaluated on data) as a Markdown document."""
    d = report["data"]
    ev = report["evaluation"]
    parts = [
        f"# Model report: {report['model_version']} on {d['name']}\n",
        f"- Data: {d['description']}" + (f" (sha256 `{d['sha256']}`)" if d["sha256"] else ""),
        f"- {d['n']} claimants, all evaluated (no fitting); share that found work "
        f"{d['base_rate']:.3f}",
        f"- Segment threshold: personal service at p <= {ev['threshold_personal_at_or_below']}\n",
    ]
    tables = model_tables(report)
    parts.append("## Performance and calibration\n")
    parts.extend(markdown_table(t) for t in tables[:2])
    parts.append(
        "## Fairness report\n\n" + DEFINITIONS.format(min_group_size=ev["min_group_size"]) + "\n"
    )
    parts.extend(markdown_table(t) for t in tables[2:])
    return "\n".join(parts)


# Terminal -----------------------------------------------------------------------------------


def print_tables(tables: list[Table], *, console: Any, definitions: str | None = None) -> None:
    """Print tables with rich (right-aligned numbers)."""
    from rich.table import Table as RichTable

    for table in tables:
        rich_table = RichTable(title=table.title, title_justify="left")
        for i, header in enumerate(table.headers):
            rich_table.add_column(header, justify="left" if i < table.text_columns else "right")
        for i, row in enumerate(table.rows):
            before_gap = i + 1 < len(table.rows) and table.rows[i + 1][0] == "max gap"
            rich_table.add_row(*row, end_section=before_gap)
        console.print(rich_table)
        for note in table.notes:
            console.print(f"  {note}", style="dim")
        console.print()
    if definitions:
        console.print(definitions, style="dim")
