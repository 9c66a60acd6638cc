"""Where a small year's time goes: the fixed cost of a run beside the work itself.

Usage (see benchmarks/README.md)::

    uv run --frozen python benchmarks/fixed_cost.py [--parcels 600 50000] [--repeat 3] [--work-dir DIR] [--reuse]

For each size it generates the sample province (``nrledger sample``, default layers), then measures, each in a fresh
process and ``--repeat`` times (the median is printed, with the spread):

- **imports**: ``python -c "import assets_pipeline.defs.definitions"``: the interpreter, Dagster, pandas, Pandera,
  pyarrow, DuckDB, pyogrio and the definitions, what every process of a run pays before it does anything;
- **Dagster, no work**: the annual job's own asset graph (the same assets, steps, dependencies with their
  partition mappings, and blocking checks) with every step's body replaced by one that only reports its assets
  materialized and its checks passed, run with ``execute_in_process`` for the same province-year into a fresh
  instance in a folder like the pipeline's, opened as ``nrledger run`` opens it (``infra.instance.open_instance``:
  the event log's connections kept open): the floor Dagster's run machinery, its event log and its data versions
  set under any year, whatever the work. The same again with Dagster's own SQLite event log, as a run launched from
  the UI or by the daemon stores its events;
- **the year**: ``nrledger run`` on the sample, process wall (``/usr/bin/time``-like, from start to exit) and the
  run time it prints, each step's seconds from its summary.

The difference between the year and the first two is the pipeline's own work on that size. Prints a table and a
JSON line; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_WORK_DIR = BENCH_DIR / "work" / "fixed_cost"
YEAR = 2023


def no_work_job_seconds(province: str, year: int, instance_kind: str = "pipeline") -> float:
    """The annual job's graph with no-op bodies, executed in process into a fresh SQLite instance; its wall time.
    ``instance_kind``: "pipeline" opens it as ``nrledger run`` does, "dagster" with Dagster's own classes."""
    import dagster as dg

    from assets_pipeline.defs.definitions import defs
    from assets_pipeline.infra.instance import open_instance

    graph = defs.resolve_asset_graph()
    job = defs.resolve_job_def("annual_accounts")
    executable = [
        graph.get(k).assets_def
        for k in graph.get_all_asset_keys()
        if graph.get(k).is_executable and k.path != ["national"]
    ]
    assets_defs = list({id(a): a for a in executable}.values())
    copies = [_no_work_copy(a, i) for i, a in enumerate(assets_defs)]
    externals = [
        dg.AssetSpec(k, partitions_def=graph.get(k).partitions_def)
        for k in graph.get_all_asset_keys()
        if not graph.get(k).is_executable
    ]
    noop = dg.Definitions(
        assets=[*copies, *externals],
        jobs=[dg.define_asset_job("no_work", executor_def=dg.in_process_executor, partitions_def=job.partitions_def)],
        loggers={"silent": _silent_logger()},
    )
    home = Path(tempfile.mkdtemp(prefix="fixed_cost_instance_"))
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    try:
        started = time.perf_counter()
        opened = open_instance(home) if instance_kind == "pipeline" else dg.DagsterInstance.from_config(str(home))
        with opened as instance:
            result = noop.resolve_job_def("no_work").execute_in_process(
                run_config={"loggers": {"silent": {}}},  # as the pipeline's run: its own logger, no console
                instance=instance,
                partition_key=dg.MultiPartitionKey({"province": province, "year": str(year)}),
            )
        seconds = time.perf_counter() - started
        assert result.success
        return seconds
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _silent_logger():
    import logging

    import dagster as dg

    @dg.logger
    def silent(_init_context):
        quiet = logging.getLogger("fixed_cost_silent")
        quiet.addHandler(logging.NullHandler())
        quiet.propagate = False
        return quiet

    return silent


def _no_work_copy(assets_def, index: int):
    """A step like ``assets_def``'s (same asset specs and check specs) whose body only reports them done."""
    import dagster as dg

    specs = list(assets_def.specs)
    checks = list(assets_def.check_specs)

    @dg.multi_asset(specs=specs, check_specs=checks, name=f"no_work_{index}")
    def _step(context):
        for spec in specs:
            yield dg.MaterializeResult(asset_key=spec.key)
        for check in checks:
            yield dg.AssetCheckResult(asset_key=check.asset_key, check_name=check.name, passed=True)

    return _step


def measure(command: list[str], env: dict | None = None) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])} … failed:\n{done.stderr[-3000:]}")
    return seconds, done.stderr + done.stdout


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):6.2f} s  ({min(values):.2f}–{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parcels", type=int, nargs="+", default=[600, 50_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR)
    parser.add_argument("--reuse", action="store_true", help="keep an already generated sample of the same size")
    parser.add_argument("--child-no-work", choices=["pipeline", "dagster"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_no_work:
        print(json.dumps({"seconds": no_work_job_seconds("140000", YEAR, args.child_no_work)}))
        return

    python = sys.executable
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    figures: dict[str, dict] = {}
    imports = [measure([python, "-c", "import assets_pipeline.defs.definitions"], env)[0] for _ in range(args.repeat)]
    no_work: dict[str, list[float]] = {"pipeline": [], "dagster": []}
    for _ in range(args.repeat):
        for kind, seconds in no_work.items():
            out = subprocess.run(
                [python, __file__, "--child-no-work", kind], capture_output=True, text=True, env=env, check=True
            ).stdout
            seconds.append(json.loads(out.strip().splitlines()[-1])["seconds"])
    figures["imports"] = {"seconds": imports}
    figures["dagster_no_work"] = {"seconds": no_work["pipeline"]}
    figures["dagster_no_work_dagsters_event_log"] = {"seconds": no_work["dagster"]}
    print(f"imports (interpreter + definitions)   {spread(imports)}")
    print(
        f"Dagster, the job's graph, no work     {spread(no_work['pipeline'])}   (inside the process, imports excluded)"
    )
    print(f"  … with Dagster's own event log      {spread(no_work['dagster'])}   (as the UI's and daemon's runs store)")

    for parcels in args.parcels:
        sample = args.work_dir / f"sample_{parcels}"
        if not (args.reuse and (sample / ".complete").exists()):
            shutil.rmtree(sample, ignore_errors=True)
            measure(
                [python, "-m", "assets_pipeline.cli", "sample", "--year", str(YEAR), "--parcels", str(parcels)]
                + ["--out", str(sample / "inputs")],
                env,
            )
            (sample / ".complete").write_text("ok", encoding="utf-8")
        walls, runs, steps = [], [], {}
        for _ in range(args.repeat):
            out = sample / "out"
            shutil.rmtree(out, ignore_errors=True)
            seconds, log = measure(
                [python, "-m", "assets_pipeline.cli", "run", "--year", str(YEAR), "--input-dir", str(sample / "inputs")]
                + ["--output-dir", str(out)],
                env,
            )
            walls.append(seconds)
            runs.append(float(re.search(r"Done in ([0-9.]+) s", log).group(1)))
            for step, step_seconds in re.findall(r"^\s+ok\s+(\S+)\s+([0-9.]+) s$", log, flags=re.M):
                steps.setdefault(step, []).append(float(step_seconds))
        figures[f"year_{parcels}"] = {"process_seconds": walls, "run_seconds": runs, "steps": steps}
        print(f"year of {parcels:,} parcels, process     {spread(walls)}")
        print(f"  … its run (as printed)              {spread(runs)}")
        step_total = sum(statistics.median(v) for v in steps.values())
        print(f"  … its {len(steps)} steps' own seconds     {step_total:6.2f} s  (medians, summed); longest:")
        for step, values in sorted(steps.items(), key=lambda kv: -statistics.median(kv[1]))[:8]:
            print(f"      {step:<28} {statistics.median(values):5.2f} s")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
