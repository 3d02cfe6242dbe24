"""Model fitting, synthetic outcome data and the fairness report (`ww triage synth|fit|report`).

- `synth`: seeded synthetic claimants with outcomes drawn from a known model.
- `data`: the outcomes CSV (read, validate, write) and the design matrix.
- `evaluate`: AUC, Brier score, calibration table and the fairness report.
- `fit`: a logistic regression (scikit-learn) in a base model's encoding -> a new model file.
- `render`: the reports as Markdown and rich tables.

Every probability here comes from `triage.scoring.model.score` and every design matrix
from `triage.scoring.model.design_row`: a fitted model is evaluated by the code that scores
and explains it in production. numpy and scikit-learn are imported by these modules, so the
command module imports them only inside the commands.
"""
