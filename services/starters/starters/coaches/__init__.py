"""Who is a coach: a replica of coaching's roster, for need to know (ADR 0022)."""
