"""Web building blocks: app factory, problem+json errors, auth, health, metrics, middleware."""
