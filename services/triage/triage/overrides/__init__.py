"""Overrides: the recorded human decision on a claim's segment, which prevails over the score."""
