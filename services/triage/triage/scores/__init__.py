"""Scores: provisional scoring at registration; the questionnaire model deepens it."""
