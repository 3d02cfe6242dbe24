"""Office closures: declaring an ad-hoc non-working day cancels and rebooks its intakes."""
