"""Case assignment and redistribution rules (issue 5, items 2 and 3); see `rules`."""
