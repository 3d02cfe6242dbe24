"""Consented candidate profiles and the partner candidate search (issue 7 items 3-4)."""
