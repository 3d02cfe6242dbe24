"""Transfers and rebalancing of cases between coaches (issue 5 item 3)."""
