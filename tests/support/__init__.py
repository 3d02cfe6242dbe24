"""Test support: real PostgreSQL databases, real Kafka topics, processes, tokens."""
