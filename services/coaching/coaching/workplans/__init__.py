"""Work plans: the agreed activities of a case (issue 5 item 5)."""
