"""Claims read model: what triage knows of each claim from intake's events, and who may see it."""
