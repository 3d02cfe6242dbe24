"""A case's lifecycle on request: closing and reopening, with what follows from them."""
