"""Intake appointments: automatic booking at registration, the unplanned list, reads."""
