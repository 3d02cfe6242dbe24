"""Coach agendas: weekly blocks, exceptions, and the intake slots cut from them (ADR 0010)."""
