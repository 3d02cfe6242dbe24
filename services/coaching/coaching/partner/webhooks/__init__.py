"""Signed webhooks to partner agencies (issue 7 item 6)."""
