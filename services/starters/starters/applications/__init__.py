"""Starters-scheme applications: decisions, income statements, schedules (issue 6)."""
