"""Contact moments: planned and held contacts of a case (issue 5 item 6)."""
