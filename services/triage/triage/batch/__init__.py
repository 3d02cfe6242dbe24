"""Batch re-scoring of the running stock with the active model (`ww triage score-all`)."""
