"""The nation (DOMAIN §7) when one province's run is killed mid-way: the others complete, its later year is skipped,
the nation's year is refused, and published marked partial when allowed. A file of its own, so the test runner can
run it beside the other nation tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from test_nation import PARCELS, SEED, YEARS, nation_run, own_instance_env, results

# the shipped tables' province and one with its own tables: two are enough for one to be killed beside another
PROVINCES = ("140000", "620000")


@pytest.fixture(scope="module")
def nation(tmp_path_factory) -> Path:
    from assets_pipeline.sample.nation import generate_nation

    root = tmp_path_factory.mktemp("nation_killed")
    generate_nation(root, PROVINCES, YEARS, parcels=PARCELS, seed=SEED, layers="none")
    return root


def run_of(instance, province: str, year: int):
    from dagster import RunsFilter

    runs = instance.get_runs(RunsFilter(tags={"nrledger/province_code": province, "dagster/partition/year": str(year)}))
    return runs[0] if runs else None


def worker_pid(instance, run_id: str) -> int | None:
    """The run worker's process, as the code server reported it when it started the run."""
    from dagster import DagsterEventType

    for record in instance.get_records_for_run(run_id, of_type=DagsterEventType.ENGINE_EVENT).records:
        event = record.event_log_entry.dagster_event
        if (event.message or "").startswith("Started process for run"):
            return int(event.engine_event_data.metadata["pid"].value)
    return None


def steps_done(instance, run_id: str) -> int:
    from dagster import DagsterEventType

    return len(instance.get_records_for_run(run_id, of_type=DagsterEventType.STEP_SUCCESS).records)


@pytest.mark.slow
def test_a_killed_province_leaves_the_others_and_refuses_the_nation(nation, tmp_path):
    """620000's 2022 run is killed mid-way (its run worker's process, SIGKILL): the other provinces complete, its 2023
    is skipped, both national years are refused (non-zero exit, the table says why); with --allow-partial the nation
    of the provinces there is published marked partial."""
    import dagster as dg
    import openpyxl

    out = tmp_path / "out"
    process = subprocess.Popen(
        nation_run(nation, out, "--provinces", "all", "--concurrency", "2"),
        env=own_instance_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    killed = None
    try:
        deadline = time.monotonic() + 900
        while killed is None and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.5)
            # the instance opened only once a run holds a province-year: the command has created its databases
            # (two processes creating them at once would both stamp their schema)
            if not any((out / province).exists() for province in PROVINCES):
                continue
            with dg.DagsterInstance.from_config(str(out / ".dagster")) as instance:
                run = run_of(instance, "620000", 2022)
                if run is None or run.status != dg.DagsterRunStatus.STARTED or steps_done(instance, run.run_id) < 3:
                    continue
                pid = worker_pid(instance, run.run_id)
                if pid is not None:
                    os.kill(pid, signal.SIGKILL)
                    killed = run.run_id
        stdout, stderr = process.communicate(timeout=1200)
    finally:
        if process.poll() is None:
            process.kill()
    assert killed, "the run of 620000 2022 was never seen started"
    assert process.returncode != 0
    table = results(stdout)
    assert table[("620000", 2022)] == (
        "failure",
        f"Run execution process for {killed} was terminated by signal 9 (SIGKILL).",
    )
    assert table[("620000", 2023)] == ("skipped", "its year before (2022) did not succeed")
    for year in YEARS:
        assert table[("140000", year)][0] == "success"
        assert (out / "140000" / str(year) / "manifest.json").exists()
    for year in YEARS:
        result, why = table[("national", year)]
        assert result == "failure" and "620000" in why and "--allow-partial" in why, why
        assert not (out / "national" / str(year)).exists()

    done = subprocess.run(
        nation_run(nation, out, "--provinces", "140000", "--allow-partial"),
        env=own_instance_env(),
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-4000:]
    for year in YEARS:
        folder = out / "national" / str(year)
        record = json.loads((folder / "national.json").read_text(encoding="utf-8"))
        assert record["partial"] is True
        assert [p["code"] for p in record["provinces_included"]] == ["140000"]
        assert [p["code"] for p in record["provinces_missing"]] == ["620000"]
        cover = list(openpyxl.load_workbook(folder / f"national_{year}.xlsx", read_only=True).worksheets[0].values)
        assert any("PARTIAL" in str(row[1]) for row in cover if row[0] == "状态 status")
