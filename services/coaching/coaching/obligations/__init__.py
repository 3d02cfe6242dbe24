"""Job-search obligation rules per claimant regime (issue 5, item 7); see `rules`."""
