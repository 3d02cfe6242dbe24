"""The coach roster: the source of truth for coaches, published as coach.* events."""
