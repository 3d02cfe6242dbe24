"""Reports: override rates per coach and office; monitoring of segments, overrides and drift."""
