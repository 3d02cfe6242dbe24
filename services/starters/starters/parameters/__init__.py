"""Dated parameters of the starters scheme, extended through the admin API."""
