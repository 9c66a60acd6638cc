"""The nation (DOMAIN §7): a sample nation of three provinces × two years compiled through the instance's run queue
and its daemon (``nrledger run --provinces``), each province-year equal to the province compiled alone, the national
ledgers and workbook the sums of the provinces' published cells, and a province whose run is killed leaving the
others complete and the nation refused, or published marked partial when allowed."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

PROVINCES = ("110000", "140000", "620000")  # 140000: the shipped tables' own province; the others bring their own
YEARS = (2022, 2023)
PARCELS = 600
SEED = 5
DIMENSIONS = ("category", "item_code", "subject", "component", "indicator", "unit")  # a ledger cell's coordinates


def nrledger(*args: str) -> list[str]:
    return [sys.executable, "-m", "assets_pipeline.cli", *args]


def own_instance_env() -> dict[str, str]:
    """The command's environment without the test session's DAGSTER_HOME: the nation runs on the output folder's
    own instance, whose queue the command configures."""
    return {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}


def nation_run(root: Path, out: Path, *extra: str) -> list[str]:
    return nrledger(
        "run",
        "--input-dir",
        str(root / "inputs"),
        "--reference-dir",
        str(root / "reference_tables"),
        "--output-dir",
        str(out),
        "--years",
        f"{YEARS[0]}-{YEARS[-1]}",
        *extra,
    )


def results(stdout: str) -> dict[tuple[str, int], tuple[str, str]]:
    """The final table: (province, year) -> (result, why)."""
    table = {}
    for line in stdout.splitlines():  # columns: province (9), year, result (10), seconds (7), why
        if re.match(r"^(\d{6}|national) +\d{4}  ", line):
            table[(line[:9].strip(), int(line[10:14]))] = (line[16:26].strip(), line[36:].strip())
    return table


@pytest.fixture(scope="module")
def nation(tmp_path_factory) -> Path:
    from assets_pipeline.sample.nation import generate_nation

    root = tmp_path_factory.mktemp("nation")
    generate_nation(root, PROVINCES, YEARS, parcels=PARCELS, seed=SEED, layers="none")
    return root


@pytest.fixture(scope="module")
def compiled(nation: Path) -> tuple[Path, subprocess.CompletedProcess]:
    out = nation / "out"
    done = subprocess.run(
        nation_run(nation, out, "--provinces", "all"),
        env=own_instance_env(),
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    return out, done


def parquet_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*.parquet"))}


def test_the_partitions_are_province_by_year():
    from assets_pipeline.defs.definitions import defs

    partitions = defs.resolve_job_def("annual_accounts").partitions_def
    assert [d.name for d in partitions.partitions_defs] == ["province", "year"]
    keys = partitions.get_partition_keys()
    assert "140000|2023" in keys and "620000|2022" in keys
    assert len(partitions.partitions_defs[0].partitions_def.get_partition_keys()) == 31


@pytest.mark.slow
def test_the_sample_nation_brings_each_province_its_own_tables(nation: Path):
    """Every province but the shipped one has its own divisions and price tables, keyed to its own code."""
    import pandas as pd

    reference = nation / "reference_tables"
    assert not (reference / "140000").exists()
    for province in ("110000", "620000"):
        divisions = pd.read_csv(reference / province / "admin_divisions.csv", dtype=str)
        assert set(divisions["region_code"].str[:2]) == {province[:2]}
        assert (divisions["level"] == "province").sum() == 1
        prices = pd.read_csv(reference / province / "prices" / "land_base_prices.csv", dtype=str)
        assert set(prices["region_code"]) == {province}
        counties = set(divisions.loc[divisions["level"] == "county", "region_code"])
        land = {p.name[:6] for p in (nation / "inputs" / province / "2022" / "land").iterdir()}
        assert land <= counties and len(land) > 10


@pytest.mark.slow
def test_every_province_year_through_the_queue_equals_the_province_alone(nation, compiled, tmp_path):
    """Six province-years through the queue and the daemon, then the two national years: all succeed, and each
    province-year's Parquet files are byte for byte those of the province compiled alone from a folder of its own
    (``--province`` names it where the shipped tables' province is another)."""
    from assets_pipeline.cli import main

    out, done = compiled
    assert done.returncode == 0, done.stdout + done.stderr[-4000:]
    table = results(done.stdout)
    assert {key for key, (result, _) in table.items() if result == "success"} == {
        *((p, y) for p in PROVINCES for y in YEARS),
        *(("national", y) for y in YEARS),
    }
    for province in PROVINCES:
        single = tmp_path / province / "inputs"
        for year in YEARS:
            shutil.copytree(nation / "inputs" / province / str(year), single / str(year))
        alone = tmp_path / province / "out"
        named = [] if province == "140000" else ["--province", province]
        args = ["run", "--input-dir", str(single), "--reference-dir", str(nation / "reference_tables")]
        args += ["--output-dir", str(alone), "--years", f"{YEARS[0]}-{YEARS[-1]}", *named]
        assert main(args) == 0
        for year in YEARS:
            queued = parquet_files(out / province / str(year))
            assert queued.keys() == parquet_files(alone / str(year)).keys() and len(queued) > 50
            differing = [name for name, data in parquet_files(alone / str(year)).items() if queued[name] != data]
            assert not differing, (province, year, differing[:5])
        manifest = json.loads((out / province / "2022" / "manifest.json").read_text(encoding="utf-8"))
        own = manifest["reference_tables"]["land_base_prices"]["file"]
        assert own == (
            "reference_tables/prices/land_base_prices.csv"
            if province == "140000"
            else f"reference_tables/{province}/prices/land_base_prices.csv"
        )


def province_sums(out: Path, year: int, file: str, provinces) -> tuple[list[str], dict[tuple, list[Decimal]]]:
    """Each cell of the provinces' own rows (region_level 'province') summed with decimals, from each province's
    published ledger."""
    import pyarrow.parquet as pq

    sums: dict[tuple, list[Decimal]] = {}
    measures: list[str] = []
    for province in provinces:
        rows = pq.read_table(out / province / str(year) / file).to_pylist()
        measures = [k for k in rows[0] if k.startswith(("quantity", "value"))]
        dims = [k for k in rows[0] if k in DIMENSIONS]
        for row in rows:
            if row["region_level"] != "province":
                continue
            key = tuple(row[d] for d in dims)
            cell = sums.setdefault(key, [Decimal(0)] * len(measures))
            for i, m in enumerate(measures):
                cell[i] += row[m] or Decimal(0)
    return measures, sums


@pytest.mark.slow
def test_the_nation_is_the_sum_of_its_provinces(compiled):
    """The national rows of both ledgers are the decimal sums of the provinces' published province rows; the
    workbook's national row is the sum of its province rows on every sheet; the cover lists the provinces with
    their manifests' hashes."""
    import hashlib

    import openpyxl
    import pyarrow.parquet as pq

    out, done = compiled
    assert done.returncode == 0, done.stdout + done.stderr[-4000:]
    for year in YEARS:
        folder = out / "national" / str(year)
        for file in ("ledger_value.parquet", "ledger_physical.parquet"):
            measures, expected = province_sums(out, year, file, PROVINCES)
            nation = [r for r in pq.read_table(folder / file).to_pylist() if r["region_level"] == "national"]
            dims = [k for k in nation[0] if k in DIMENSIONS]
            found = {tuple(r[d] for d in dims): [r[m] or Decimal(0) for m in measures] for r in nation}
            assert found == expected and len(found) > 20, file
            assert {r["region_code"] for r in nation} == {"000000"}
        record = json.loads((folder / "national.json").read_text(encoding="utf-8"))
        assert record["partial"] is False and record["provinces_missing"] == []

        book = openpyxl.load_workbook(folder / f"national_{year}.xlsx", read_only=True)
        cover = [row for row in book.worksheets[0].iter_rows(values_only=True)]
        for province in PROVINCES:
            digest = hashlib.sha256((out / province / str(year) / "manifest.json").read_bytes()).hexdigest()
            assert any(row[0] == province and row[2] == digest for row in cover), province
        assert any("complete" in str(row[1]) for row in cover if row[0] == "状态 status")
        for sheet in book.worksheets[1:]:
            rows = [row for row in sheet.iter_rows(values_only=True) if row and row[1] is not None]
            provinces = [row for row in rows if row[1] in PROVINCES]
            national = [row for row in rows if row[1] == "000000"]
            # a sheet lists the provinces with rows of its category (a small sample's wetlands may be one's only)
            assert 1 <= len(provinces) <= 3 and len(national) == 1, sheet.title
            for column in range(2, len(national[0])):
                if isinstance(national[0][column], int | float):
                    total = sum(Decimal(str(row[column] or 0)) for row in provinces)
                    assert Decimal(str(national[0][column])) == total, (sheet.title, column)


@pytest.mark.slow
def test_the_queued_runs_store_their_events_through_open_connections_in_dagsters_own_files(compiled, tmp_path):
    """The nation's instance (``AccountsInstance``) has ``OpenSqliteEventLogStorage`` as its event log, so the run
    workers the daemon starts write through connections kept open (``infra/instance.py``); Dagster's own class reads
    every run's events from the same files, a copy of the folder opens its own files, and the UI shows them."""
    import dagster as dg
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

    from assets_pipeline.infra.instance import OpenSqliteEventLogStorage

    out, done = compiled
    assert done.returncode == 0, done.stdout + done.stderr[-4000:]
    home = out / ".dagster"
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.event_log_storage) is OpenSqliteEventLogStorage
        runs = instance.get_runs()
        written = {run.run_id: len(instance.all_logs(run.run_id)) for run in runs}
    assert len(runs) == len(PROVINCES) * len(YEARS) + len(YEARS)
    dagsters = SqliteEventLogStorage(str(home / "history" / "runs"))
    try:
        assert {run_id: len(dagsters.get_logs_for_run(run_id)) for run_id in written} == written
    finally:
        dagsters.dispose()
    assert min(written.values()) > 20  # a run's start, steps, materializations and end
    # the lineage travels with the accounts: a copy of the folder reads and writes its own event log, not the original's
    copy = tmp_path / "copied" / ".dagster"
    shutil.copytree(home, copy)
    with dg.DagsterInstance.from_config(str(copy)) as instance:
        assert Path(instance.event_log_storage._base_dir) == copy / "history" / "runs"
        assert {run_id: len(instance.all_logs(run_id)) for run_id in written} == written

    # the UI opened on the folder (README: DAGSTER_HOME=<output-dir>/.dagster) lists the runs and shows their events
    from test_deploy_instance import _answers, free_port, graphql, start, stop, wait_for

    port, log = free_port(), out.parent / "webserver.log"
    env = {**own_instance_env(), "DAGSTER_HOME": str(home)}
    bin_dir = Path(sys.executable).parent
    server = start(
        [str(bin_dir / "dagster-webserver"), "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)], env, log
    )
    try:
        wait_for(lambda: _answers(port), 120, "the webserver", [log], [server])
        listed = graphql(port, "{ runsOrError { ... on Runs { results { runId status } } } }", {})
        assert {r["runId"]: r["status"] for r in listed["data"]["runsOrError"]["results"]} == {
            run_id: "SUCCESS" for run_id in written
        }, listed
        for run_id, count in written.items():
            shown = graphql(
                port,
                "query($id: ID!) { runOrError(runId: $id) { ... on Run { eventConnection(afterCursor: null) "
                "{ events { __typename } } } } }",
                {"id": run_id},
            )
            assert len(shown["data"]["runOrError"]["eventConnection"]["events"]) == count, shown
    finally:
        stop(server)
