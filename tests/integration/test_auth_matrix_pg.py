"""The authorisation matrix again, on PostgreSQL (issue 13).

The matrix in tests/contract/test_auth_matrix.py runs on SQLite so that `make test-fast`
needs no database. Row-level rules are SQL, and PostgreSQL is stricter than SQLite (types,
NUL bytes, locking), so the same tests run here against real PostgreSQL databases cloned
from migrated templates: every test of that module is imported, and this module's
`system` fixture replaces the SQLite one.

Left out here: the forged-token test, which is refused before any query and so cannot
differ by database (it runs on SQLite and over real HTTP, test_forged_token_over_http).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.contract import test_auth_matrix as matrix
from tests.support.pg import PgDatabases
from tests.support.system import embedded_containers

# The matrix's tests and fixtures, collected again in this module (where `system` below
# replaces the SQLite one); not the forged-token test (see the module docstring).
globals().update(
    {
        name: value
        for name, value in vars(matrix).items()
        if name.startswith("test_") or name == "deactivated_coach"
    }
)
del globals()["test_forged_tokens_are_401_on_every_route"]


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory, pg: PgDatabases) -> Iterator[matrix.System]:
    state_dir: Path = tmp_path_factory.mktemp("auth-matrix-pg-state")
    containers = embedded_containers(state_dir, database_urls=pg.create_all(), log_level="WARNING")
    yield from matrix.build_system(state_dir, containers)


def test_the_matrix_runs_on_postgresql(system: matrix.System) -> None:
    for name, c in system.containers.items():
        assert c.engine.dialect.name == "postgresql", name
