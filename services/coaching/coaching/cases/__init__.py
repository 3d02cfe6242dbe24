"""Cases: one per claim, a local read model fed by intake, triage and starters events."""
