"""Queries from .sql files: values as parameters, paths and names only as literals of infra.sql."""

import duckdb
import pytest

from assets_pipeline.infra import sql


def test_a_query_file_is_read_and_filled_with_quoted_paths(tmp_path):
    (tmp_path / "count.sql").write_text("-- rows in the files\nSELECT count(*) FROM read_parquet({files})\n")
    files = []
    for name in ("a'1.parquet", "b.parquet"):
        path = tmp_path / name
        duckdb.sql(f"COPY (SELECT 1 AS x UNION ALL SELECT 2) TO {sql.path_literal(path)} (FORMAT parquet)")
        files.append(path)
    text = sql.load(tmp_path / "caller.py", "count", files=sql.paths_literal(files))
    assert duckdb.sql(text).fetchall() == [(4,)]


def test_free_text_never_goes_into_sql():
    with pytest.raises(TypeError):
        sql.render("SELECT * FROM {view}", view="x; DROP TABLE y")
    with pytest.raises(ValueError):
        sql.identifier("x; DROP TABLE y")
    assert sql.render("SELECT * FROM {view}", view=sql.identifier("parcels")) == "SELECT * FROM parcels"
