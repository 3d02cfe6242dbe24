"""Intake capacity planning: coach-hours needed for the week-one target (issue 3, item 11)."""
