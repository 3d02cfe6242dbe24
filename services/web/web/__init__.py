"""The web front end (issue 15, ADR 0029): server-rendered pages over the four services'
public HTTP APIs; no database and no business rules of its own."""
