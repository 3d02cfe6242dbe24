"""Shared building blocks of the WW case-handling services: events, messaging, database, web."""
