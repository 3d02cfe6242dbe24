"""Read model of coaching's coach roster (who can hold intakes)."""
