"""Starters service: the startersregeling (WW art. 35ab) from application to revival."""
