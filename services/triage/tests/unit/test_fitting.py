"""Model fitting, synthetic outcomes and the fairness report (`triage_fitting`).

The acceptance test: on 50,000 synthetic claimants drawn from known coefficients (the
default model), the fitted model's AUC on held-out data is within 0.01 of the true model's,
and every coefficient (and the intercept) is within its tolerance:

    |fitted - true| <= 4 standard errors of the fitted coefficient

The standard error comes from the fit itself (inverse Fisher information at the
estimate). Under a correctly specified model (fitted - true) / SE is close to standard
normal, so 4 SE is missed by a correct fit with probability 6e-5 per coefficient (0.3% for
all 48 together) while it still scales with how much the data says about each coefficient:
a common scale item (self-efficacy, SE about 0.014) must be recovered to +-0.06, a sparse
category (sector agriculture, 2% of claimants, SE about 0.096) to +-0.39. One absolute
tolerance would be either too loose for the first or flaky for the second. Two further
checks keep the tolerance honest: no tolerance may exceed 0.4 on the log-odds scale, and
the mean of the squared z-scores must be near 1 (standard errors neither inflated nor too
small). With this seed: largest |z| 2.14, mean z^2 0.81, AUC 0.7815 fitted vs 0.7815 true.
"""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from shared.reference import load_offices
from triage.scoring import model as m
from triage.scoring import questionnaire as q
from triage_fitting import data as fdata
from triage_fitting import evaluate, render, synth
from triage_fitting import fit as fitting
from triage_fitting.groups import PROVINCE_BY_OFFICE, REGIONS, age_band, region_of

TRUE_MODEL = m.shipped()[m.DEFAULT_VERSION]
N_RECOVERY = 50_000
AUC_TOLERANCE = 0.01
SE_MULTIPLE = 4.0
MAX_TOLERANCE = 0.4


@pytest.fixture(scope="module")
def recovered() -> tuple[fdata.Outcomes, fitting.FitResult]:
    """50,000 synthetic claimants from the default model and a model fitted on them."""
    rows = synth.generate(N_RECOVERY, seed=2026, true_model=TRUE_MODEL)
    data = fdata.from_rows(rows)
    result = fitting.fit(
        TRUE_MODEL, data, version="recovered-test", data_description="synthetic (test)", seed=1
    )
    return data, result


# Acceptance: fitting recovers a known model -------------------------------------------------


def test_fitting_recovers_the_known_model(
    recovered: tuple[fdata.Outcomes, fitting.FitResult],
) -> None:
    data, result = recovered
    report = result.report
    assert len(data) == N_RECOVERY
    assert (report["data"]["n_train"], report["data"]["n_test"]) == (40_000, 10_000)
    held_out = report["held_out"]
    # The base model of this fit is the true model: both are scored on the same held-out rows.
    assert held_out["base"]["model_version"] == TRUE_MODEL.version
    fitted_auc = held_out["fitted"]["overall"]["auc"]
    true_auc = held_out["base"]["overall"]["auc"]
    assert abs(fitted_auc - true_auc) <= AUC_TOLERANCE
    assert fitted_auc > 0.7  # the synthetic population is not a trivial one

    coefficients = report["coefficients"]
    assert [c["feature"] for c in coefficients[1:]] == [name for name, _ in m.columns(TRUE_MODEL)]
    assert coefficients[0]["base"] == TRUE_MODEL.intercept
    assert [c["base"] for c in coefficients[1:]] == m.coefficient_vector(TRUE_MODEL)
    z_scores = []
    for c in coefficients:
        tolerance = SE_MULTIPLE * c["se"]
        assert tolerance <= MAX_TOLERANCE, c
        assert abs(c["fitted"] - c["base"]) <= tolerance, c
        z_scores.append((c["fitted"] - c["base"]) / c["se"])
    assert 0.4 < float(np.mean(np.square(z_scores))) < 2.0
    assert report["not_estimated"] == []


def test_fitted_model_file_validates_and_scores(
    recovered: tuple[fdata.Outcomes, fitting.FitResult], tmp_path: Path
) -> None:
    data, result = recovered
    path = tmp_path / "recovered-test.json"
    path.write_text(m.dump(result.model), encoding="utf-8")
    loaded = m.load(path)  # ModelFile.model_validate
    assert loaded == result.model
    assert loaded.version == "recovered-test"
    assert loaded.thresholds == TRUE_MODEL.thresholds
    assert [f.name for f in loaded.features] == [f.name for f in TRUE_MODEL.features]
    card = loaded.card
    assert card.excluded_attributes == TRUE_MODEL.card.excluded_attributes
    assert card.intended_use == TRUE_MODEL.card.intended_use
    assert "synthetic (test)" in card.training_data
    assert "40000 used for fitting" in card.training_data
    assert card.metrics["n"] == N_RECOVERY
    assert card.metrics["auc"] == pytest.approx(
        result.report["held_out"]["fitted"]["overall"]["auc"], abs=1e-4
    )
    assert set(card.metrics["fairness_max_gaps"]) == {"age_band", "education_level", "region"}
    assert not any(limit.startswith("Not fitted") for limit in card.known_limits)
    # The file carries the fitted (rounded) coefficients in the base model's encoding ...
    fitted = [c["fitted"] for c in result.report["coefficients"]]
    assert loaded.intercept == fitted[0]
    assert m.coefficient_vector(loaded) == fitted[1:]
    # ... and is scored by the production code: design row x coefficients + intercept = logit.
    for answers, age in list(zip(data.answers, data.ages, strict=True))[:25]:
        scored = m.score(loaded, answers, age=age)
        row = m.design_row(loaded, answers, age=age)
        assert scored.logit == pytest.approx(
            loaded.intercept + math.fsum(x * b for x, b in zip(row, fitted[1:], strict=True))
        )
        assert math.fsum(c.contribution for c in scored.contributions) + loaded.intercept == (
            pytest.approx(scored.logit)
        )


def test_fit_refuses_the_base_version() -> None:
    rows = synth.generate(200, seed=5)
    with pytest.raises(ValueError, match="differ"):
        fitting.fit(
            TRUE_MODEL, fdata.from_rows(rows), version=TRUE_MODEL.version, data_description="x"
        )


def test_a_category_nobody_has_is_not_estimated_and_kept_at_zero() -> None:
    rows = [r for r in synth.generate(3000, seed=9) if r["last_sector"] != "culture"]
    result = fitting.fit(
        TRUE_MODEL, fdata.from_rows(rows), version="no-culture", data_description="x"
    )
    assert result.report["not_estimated"] == [{"feature": "last_sector", "level": "culture"}]
    sector = next(f for f in result.model.features if f.name == "last_sector")
    assert sector.coefs["culture"] == 0.0
    assert any("Not estimable" in limit for limit in result.model.card.known_limits)


# Synthetic data -----------------------------------------------------------------------------


def test_synth_is_reproducible(tmp_path: Path) -> None:
    paths = []
    for name, seed in (("a", 11), ("b", 11), ("c", 12)):
        path = tmp_path / f"{name}.csv"
        synth.write(
            path, synth.generate(400, seed=seed), seed=seed, scenario="model", true_model=TRUE_MODEL
        )
        paths.append(path)
    a, b, c = (p.read_bytes() for p in paths)
    assert a == b
    assert a != c
    assert a.splitlines()[0].decode() == ",".join(fdata.csv_columns())
    meta = synth.read_meta(paths[0])
    assert meta is not None
    assert (meta["n"], meta["seed"], meta["true_model"]) == (400, 11, TRUE_MODEL.version)
    paths[0].write_bytes(a + b"\n")  # changed data: the description no longer applies
    assert synth.read_meta(paths[0]) is None


def test_synthetic_claimants_are_valid_and_plausible() -> None:
    rows = synth.generate(5000, seed=3)
    offices = {o.code for o in load_offices().offices}
    for row in rows:
        answers = {k: v for k, v in row.items() if k in q.V1.by_key and v is not None}
        assert q.validate("1", answers) == []
        assert 18 <= int(str(row["age"])) <= 66
        assert row["office_code"] in offices
        assert row["region"] in REGIONS
        assert row["found_work_12m"] in (0, 1)
    assert {r["education_level"] for r in rows} == set(q.EDUCATION_LEVELS)
    assert {r["last_sector"] for r in rows} == set(q.SECTORS)
    ages = [int(str(r["age"])) for r in rows]
    assert {age_band(a) for a in ages} == {"<27", "27-44", "45-54", "55+"}
    missing_training = sum(r["months_since_last_training"] is None for r in rows) / len(rows)
    missing_retrain = sum(r["willing_to_retrain"] is None for r in rows) / len(rows)
    assert 0.1 < missing_training < 0.4
    assert 0.05 < missing_retrain < 0.3
    # Correlations the generator promises.
    order = {level: i for i, level in enumerate(q.EDUCATION_LEVELS)}
    education = np.array([order[str(r["education_level"])] for r in rows], float)
    occupation = np.array(
        [q.OCCUPATION_LEVELS.index(str(r["last_occupation_level"])) for r in rows], float
    )
    age = np.array([r["age"] for r in rows], float)
    years = np.array([r["years_work_history"] for r in rows], float)
    health = np.array([r["self_rated_health"] for r in rows], float)
    limited = np.array([r["work_limitations"] != "none" for r in rows], float)
    assert np.corrcoef(education, occupation)[0, 1] > 0.3
    assert np.corrcoef(age, years)[0, 1] > 0.6
    assert np.corrcoef(health, limited)[0, 1] < -0.3
    assert (years <= age - 15).all()
    base_rate = np.mean([r["found_work_12m"] for r in rows])
    assert 0.35 < base_rate < 0.7


def test_every_office_has_a_region() -> None:
    offices = load_offices().offices
    assert {o.code for o in offices} <= set(PROVINCE_BY_OFFICE)
    assert {region_of(o) for o in offices} == set(REGIONS)
    ams = next(o for o in offices if o.code == "AMS")
    moved = dataclasses.replace(ams, code="NEW")
    assert region_of(moved) == "west"  # an office not in the table: nearest known office


def test_regional_scenario_shows_a_disparity_the_model_cannot_see() -> None:
    gaps = {}
    for scenario in ("model", "regional"):
        data = fdata.from_rows(synth.generate(12_000, seed=4, scenario=scenario))
        ev = evaluate.evaluate(TRUE_MODEL, data)
        gaps[scenario] = ev["fairness"]["region"]["max_gap"]["calibration_in_the_large"]
    assert gaps["model"]["gap"] < 0.04
    assert gaps["regional"]["gap"] > 0.1
    assert gaps["regional"]["highest"] == "noord"  # over-predicted: the hidden -0.6
    assert gaps["regional"]["lowest"] == "west"


# Metrics and the fairness report, by hand ---------------------------------------------------


def test_auc_brier_and_calibration_by_hand() -> None:
    y = [0, 0, 1, 1]
    p = [0.1, 0.4, 0.35, 0.8]
    # Positive-negative pairs ranked right: 0.35 > 0.1, 0.8 > 0.1, 0.8 > 0.4 (not 0.35 > 0.4).
    assert evaluate.auc(y, p) == pytest.approx(3 / 4)
    assert evaluate.brier(y, p) == pytest.approx((0.01 + 0.16 + 0.4225 + 0.04) / 4)
    assert evaluate.auc([1, 1], [0.2, 0.3]) is None
    table = evaluate.calibration_table(y, p, bins=2)
    # Sorted by p: (0.1, y0), (0.35, y1) | (0.4, y0), (0.8, y1).
    assert [(b["n"], b["mean_predicted"], b["observed"]) for b in table] == [
        (2, pytest.approx(0.225), 0.5),
        (2, pytest.approx(0.6), 0.5),
    ]
    assert table[1]["difference"] == pytest.approx(0.1)
    assert (table[1]["p_min"], table[1]["p_max"]) == (0.4, 0.8)


def test_fairness_report_by_hand() -> None:
    # noord (6): p      0.2  0.4  0.5  0.6  0.8  0.9
    #            found  0    1    1    0    1    1
    #            flag   yes  yes  yes  no   no   no   (p <= 0.5)
    # oost (4):  p      0.3  0.45 0.7  0.55 / found 0 0 1 0 / flag yes yes no no
    # west (1):  p      0.1 / found 1 / flag yes      (smaller than min_group_size 2)
    p = [0.2, 0.4, 0.5, 0.6, 0.8, 0.9, 0.3, 0.45, 0.7, 0.55, 0.1]
    y = [0, 1, 1, 0, 1, 1, 0, 0, 1, 0, 1]
    flagged = [x <= 0.5 for x in p]
    region = ["noord"] * 6 + ["oost"] * 4 + ["west"]
    report = evaluate.fairness(y, p, flagged, {"region": region}, min_group_size=2)
    groups = {g["group"]: g for g in report["region"]["groups"]}
    assert list(groups) == ["noord", "oost", "west"]

    noord = groups["noord"]
    assert noord["n"] == 6
    assert noord["base_rate"] == pytest.approx(4 / 6)
    assert noord["mean_predicted"] == pytest.approx(3.4 / 6)
    assert noord["calibration_in_the_large"] == pytest.approx(3.4 / 6 - 4 / 6)  # -0.1
    assert noord["selection_rate"] == pytest.approx(3 / 6)
    assert noord["fpr"] == pytest.approx(2 / 4)  # found work: 0.4, 0.5 flagged; 0.8, 0.9 not
    assert noord["fnr"] == pytest.approx(1 / 2)  # no work: 0.2 flagged; 0.6 not

    oost = groups["oost"]
    assert oost["base_rate"] == pytest.approx(1 / 4)
    assert oost["mean_predicted"] == pytest.approx(0.5)
    assert oost["calibration_in_the_large"] == pytest.approx(0.25)
    assert oost["selection_rate"] == pytest.approx(0.5)
    assert oost["fpr"] == 0.0  # the one who found work (0.7) was not flagged
    assert oost["fnr"] == pytest.approx(1 / 3)  # no work: 0.3, 0.45 flagged; 0.55 not

    west = groups["west"]
    assert (west["fpr"], west["fnr"]) == (1.0, None)  # nobody without work: FNR undefined

    gaps = report["region"]["max_gap"]  # west is too small to be compared
    assert gaps["base_rate"] == {
        "gap": pytest.approx(4 / 6 - 1 / 4),
        "highest": "noord",
        "lowest": "oost",
    }
    assert gaps["calibration_in_the_large"]["gap"] == pytest.approx(0.35)
    assert gaps["calibration_in_the_large"]["highest"] == "oost"
    assert gaps["selection_rate"]["gap"] == pytest.approx(0.0)
    assert gaps["fpr"] == {"gap": pytest.approx(0.5), "highest": "noord", "lowest": "oost"}
    assert gaps["fnr"] == {"gap": pytest.approx(1 / 6), "highest": "noord", "lowest": "oost"}

    # The Markdown shows the same numbers, the small group marked.
    ev: dict[str, Any] = {"fairness": report, "min_group_size": 2}
    text = render.markdown_table(render.fairness_tables(ev)[0])
    assert "| noord | 6 | 0.667 | 0.567 | -0.100 | 0.500 | 0.500 | 0.500 |" in text
    assert "| west * | 1 | 1.000 | 0.100 | -0.900 | 1.000 | 1.000 | n/a |" in text
    assert "| max gap |  | 0.417 | 0.067 | 0.350 | 0.000 | 0.500 | 0.167 |" in text


def test_evaluate_scores_through_the_model() -> None:
    data = fdata.from_rows(synth.generate(50, seed=8))
    predictions = fdata.predict(TRUE_MODEL, data)
    for i, (answers, age) in enumerate(zip(data.answers, data.ages, strict=True)):
        scored = m.score(TRUE_MODEL, answers, age=age)
        assert predictions.p[i] == scored.probability
        assert bool(predictions.personal[i]) == (scored.probability <= 0.5)


# Reading outcome data -----------------------------------------------------------------------


def test_read_csv_round_trips_and_names_bad_rows(tmp_path: Path) -> None:
    rows = synth.generate(30, seed=6)
    good = tmp_path / "good.csv"
    fdata.write_csv(good, rows, fdata.csv_columns())
    data = fdata.read_csv(good)
    assert data.answers == fdata.from_rows(rows).answers
    assert data.ages == [r["age"] for r in rows]
    assert data.y.tolist() == [r["found_work_12m"] for r in rows]

    bad_rows = [dict(r) for r in rows]
    bad_rows[1]["self_efficacy"] = 9
    bad_rows[3]["found_work_12m"] = "maybe"
    bad_rows[4]["age"] = "old"
    bad = tmp_path / "bad.csv"
    fdata.write_csv(bad, bad_rows, fdata.csv_columns())
    with pytest.raises(fdata.DataError) as exc:
        fdata.read_csv(bad)
    message = str(exc.value)
    assert "line 3: self_efficacy: must be at most 5" in message
    assert "line 5: found_work_12m: must be 0 or 1" in message
    assert "line 6: age: must be a whole number" in message

    missing = tmp_path / "missing.csv"
    fdata.write_csv(missing, rows, [c for c in fdata.csv_columns() if c != "expectation"])
    with pytest.raises(fdata.DataError, match="missing columns: expectation"):
        fdata.read_csv(missing)


# The commands -------------------------------------------------------------------------------


def test_cli_synth_fit_report(tmp_path: Path) -> None:
    from triage_fitting.cli import app

    runner = CliRunner()
    csv_path = tmp_path / "outcomes.csv"
    out = runner.invoke(app, ["synth", "--n", "3000", "--seed", "1", "--out", str(csv_path)])
    assert out.exit_code == 0, out.output
    assert "Wrote 3000 synthetic claimants" in out.output
    assert csv_path.is_file()

    out_dir = tmp_path / "fitted"
    args = ["fit", str(csv_path), "--version", "cli-test.1", "--out-dir", str(out_dir)]
    out = runner.invoke(app, args)
    assert out.exit_code == 0, out.output
    for heading in ("Held-out performance", "Calibration", "Age band", "Education", "Region"):
        assert heading in out.output
    assert "Not activated" in out.output
    fitted = m.load(out_dir / "cli-test.1.json")
    assert "Synthetic claimants from `ww triage synth`" in fitted.card.training_data
    assert (out_dir / "cli-test.1.fit-report.md").read_text().startswith("# Fit report: cli-test.1")
    assert (out_dir / "cli-test.1.fit-report.json").is_file()
    assert (
        m.score(fitted, fdata.read_csv(csv_path).answers[0], age=40).model_version == "cli-test.1"
    )

    again = runner.invoke(app, args)  # never overwrites silently
    assert again.exit_code == 1
    assert "would overwrite" in again.output
    shipped = runner.invoke(
        app, ["fit", str(csv_path), "--version", m.DEFAULT_VERSION, "--out-dir", str(out_dir)]
    )
    assert shipped.exit_code == 1

    report_dir = tmp_path / "report"
    out = runner.invoke(
        app,
        ["report", str(out_dir / "cli-test.1.json"), str(csv_path), "--out-dir", str(report_dir)],
    )
    assert out.exit_code == 0, out.output
    assert "Fairness of cli-test.1: Age band" in out.output
    md = (report_dir / "cli-test.1--outcomes.report.md").read_text()
    assert md.startswith("# Model report: cli-test.1 on outcomes.csv")
    out = runner.invoke(app, ["report", m.DEFAULT_VERSION, str(csv_path)])
    assert out.exit_code == 0, out.output
    assert out.output.count("max gap") == 3

    unknown = runner.invoke(app, ["report", "no-such-model", str(csv_path)])
    assert unknown.exit_code == 1
    assert "unknown model" in unknown.output


def test_the_command_module_does_not_import_numpy_or_sklearn() -> None:
    code = (
        "import sys, typer\n"
        "import triage_fitting.commands as c\n"
        "c.register(typer.Typer())\n"
        "heavy = {'numpy', 'sklearn', 'scipy'}\n"
        "print(','.join(sorted(k for k in sys.modules if k.split('.')[0] in heavy)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == ""
