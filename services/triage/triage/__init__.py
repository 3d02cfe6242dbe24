"""Triage service: explainable self-reliance scoring, segments, overrides, re-triage."""
