"""`python -m ww`: the `ww` command line (tests and `make run` start processes this way)."""

from ww.cli import app

app()
