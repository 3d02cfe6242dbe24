"""Partner clients: registration, secrets, scopes, limits, suspension, token endpoint."""
