"""The steps' DuckDB connections (infra/duck.py): cursors on a database kept per process and per setting, each
connection still a world of its own."""

import shutil
from decimal import Decimal

from assets_pipeline.infra.duck import connect


def test_a_connection_sees_nothing_another_left(tmp_path):
    with connect(tmp_path / "tmp") as first:
        first.execute("CREATE TEMP TABLE rows AS SELECT 1 AS n")
        first.execute("CREATE TEMP TYPE source_file AS ENUM ('a.csv', 'b.csv')")
        first.execute("SET VARIABLE policy = 'base-map-wins'")
    with connect(tmp_path / "tmp") as second:
        # the same names again, as the next step (or the next category's valuation) creates them
        second.execute("CREATE TEMP TABLE rows AS SELECT 2 AS n")
        second.execute("CREATE TEMP TYPE source_file AS ENUM ('c.csv')")
        assert second.execute("SELECT n FROM rows").fetchall() == [(2,)]
        assert second.execute("SELECT getvariable('policy')").fetchall() == [(None,)]


def test_every_connection_has_the_models_multiplications(tmp_path):
    for _ in range(2):  # the database's first connection, then another on the same database
        with connect(tmp_path / "tmp") as con:
            assert con.execute("SELECT row_value(12.34, 0.5)").fetchall() == [(Decimal("6.170000000000"),)]
            assert con.execute("SELECT dec_mul(0.1, 3)").fetchall() == [(Decimal("0.3000000000"),)]


def test_other_settings_are_not_changed_by_a_connection_asking_for_its_own(tmp_path):
    """DuckDB cannot move a database's temp folder once it has spilled, and its memory limit and threads are the
    database's: a connection asking for others never changes those of the connections already open."""
    with connect(tmp_path / "a") as a:
        before = _settings(a)
        assert before["temp_directory"] == str((tmp_path / "a").resolve()) and before["memory_limit"] == "1.3 GiB"
        with connect(tmp_path / "b", threads=1, memory_limit="200MB") as b:
            assert _settings(b) == {
                "threads": "1",
                "memory_limit": "190.7 MiB",
                "temp_directory": str((tmp_path / "b").resolve()),
            }
            assert _settings(a) == before


def test_a_temp_folder_removed_after_a_spill_is_made_again(tmp_path):
    """A test, or a user, may remove a year's stage folder while the process keeps the database that spilled there."""
    folder = tmp_path / "stages" / "duckdb_tmp"
    for _ in range(2):
        with connect(folder, memory_limit="40MB") as con:
            assert con.execute(SPILLING_SORT).fetchall() == [(1_000_000, "fffffe98d0963d27015c198262d97221")]
        assert folder.is_dir()
        shutil.rmtree(folder)


SPILLING_SORT = "SELECT count(*), max(s) FROM (SELECT md5(range::VARCHAR) AS s FROM range(1000000) ORDER BY s)"


def _settings(con) -> dict[str, str]:
    names = ("threads", "memory_limit", "temp_directory")
    return {name: str(con.execute(f"SELECT current_setting('{name}')").fetchone()[0]) for name in names}
