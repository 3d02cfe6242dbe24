"""Need to know for claims: whose claims a staff member may see, break-glass, the access log."""
