"""Work resumption reports (issue 5 item 8: closure on work resumption)."""
