"""Model registry: the model versions known to the service and the one active version."""
