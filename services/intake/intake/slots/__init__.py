"""Intake slots: cut from the coaches' agendas over a rolling horizon (ADR 0010); the bottom of booking."""
