"""Claims: registration, look-up and listing."""
