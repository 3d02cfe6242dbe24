"""Database building blocks: declarative base helpers, engines, unit of work, audit log."""
