"""Questionnaires: the current definition and every submitted answer set of a claim (history)."""
