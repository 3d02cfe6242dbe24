"""Re-triage after a configurable time in WW (a scheduler calls the run endpoint)."""
