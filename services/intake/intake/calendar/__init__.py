"""Working-day calendar: Algemene termijnenwet rules plus ad-hoc closures (national, per office)."""
