"""Read model of claims: who may apply for the starters scheme, and since when."""
