"""Week-one KPIs per office and nationally (issue 3, item 10)."""
