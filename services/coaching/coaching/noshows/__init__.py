"""Intake no-shows in coaching (issue 12 item 3)."""
