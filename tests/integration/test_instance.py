"""The instance a year is compiled into (infra/instance.py): Dagster's SQLite files written with the event log's
connections kept open, read back by Dagster's own classes as the UI reads them; an instance configured otherwise is
opened as configured."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from assets_pipeline.infra.instance import OpenSqliteEventLogStorage, open_instance


@pytest.mark.slow
def test_a_run_written_with_open_connections_reads_back_with_dagsters_own_storage(mini_province, tmp_path, monkeypatch):
    from assets_pipeline.cli import main

    monkeypatch.delenv("DAGSTER_HOME")
    written = set()  # the databases the command line's storage wrote through
    engine = OpenSqliteEventLogStorage._engine
    monkeypatch.setattr(
        OpenSqliteEventLogStorage, "_engine", lambda self, shard: written.add(shard) or engine(self, shard)
    )
    out = tmp_path / "out"
    args = ["validate", "--year", "2023", "--input-dir", str(mini_province), "--output-dir", str(out)]
    assert main(args) == 0
    home = out / ".dagster"
    with open_instance(home) as instance:
        assert type(instance.event_log_storage) is OpenSqliteEventLogStorage
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.event_log_storage) is SqliteEventLogStorage
        [record] = instance.get_run_records()
        run_id = record.dagster_run.run_id
        assert record.dagster_run.status == dg.DagsterRunStatus.SUCCESS
        assert written == {"index", run_id}

        def keys(event_type) -> set[dg.AssetKey]:
            records = instance.get_records_for_run(run_id, of_type=event_type, limit=1000).records
            return {r.event_log_entry.dagster_event.asset_key for r in records}

        # the run's own database: every asset planned was materialized
        planned = keys(dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED)
        assert len(planned) > 20 and keys(dg.DagsterEventType.ASSET_MATERIALIZATION) == planned
        # the cross-run index: each one's latest materialization is this run's
        for key in planned:
            event = instance.get_latest_materialization_event(key)
            assert event is not None and event.run_id == run_id, key


@pytest.mark.parametrize(
    ("config", "storage"),
    [
        (
            "event_log_storage:\n  module: dagster._core.storage.event_log\n  class: ConsolidatedSqliteEventLogStorage\n"
            "  config:\n    base_dir: {folder}\n",
            "ConsolidatedSqliteEventLogStorage",
        ),
        # SQLite in a folder named by an environment variable: Dagster's own storage, as configured
        ("storage:\n  sqlite:\n    base_dir:\n      env: NRLEDGER_TEST_INSTANCE_FOLDER\n", "SqliteEventLogStorage"),
        # SQLite in a folder of its own: the three parts in that folder, the event log's connections kept open
        ("storage:\n  sqlite:\n    base_dir: {folder}\n", "OpenSqliteEventLogStorage"),
    ],
    ids=["another event log", "sqlite in an environment variable's folder", "sqlite in a named folder"],
)
def test_an_instance_configured_otherwise_is_opened_as_configured(tmp_path, monkeypatch, config, storage):
    home, folder = tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir()
    monkeypatch.setenv("NRLEDGER_TEST_INSTANCE_FOLDER", str(folder))
    (home / "dagster.yaml").write_text(
        "telemetry:\n  enabled: false\n" + config.format(folder=folder), encoding="utf-8"
    )
    with open_instance(home) as instance:
        assert type(instance.event_log_storage).__name__ == storage
        if storage != "ConsolidatedSqliteEventLogStorage":
            assert Path(instance.event_log_storage._base_dir) == folder / "history" / "runs"
            assert Path(instance.run_storage._conn_string.removeprefix("sqlite:///")) == folder / "history" / "runs.db"


def test_a_table_found_in_the_index_is_not_looked_up_again_and_a_missing_one_is(tmp_path, monkeypatch):
    """Dagster asks whether the index holds a table a few times per event, each time through a new engine: the
    answer for a table present is remembered, one for a table absent is asked again (a migration may add it)."""
    import dagster._core.storage.event_log.sqlite.sqlite_event_log as dagsters

    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    with open_instance(tmp_path) as instance:
        storage = instance.event_log_storage
        assert type(storage) is OpenSqliteEventLogStorage
        engines = []
        create_engine = dagsters.create_engine
        monkeypatch.setattr(dagsters, "create_engine", lambda *a, **k: engines.append(a) or create_engine(*a, **k))
        assert [storage.has_table("asset_event_tags") for _ in range(3)] == [True] * 3
        assert len(engines) == 1
        assert [storage.has_table("no_such_table") for _ in range(2)] == [False] * 2
        assert len(engines) == 3
