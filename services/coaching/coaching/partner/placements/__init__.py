"""Placements reported by temp agencies and the reward ledger (issue 7 item 5)."""
