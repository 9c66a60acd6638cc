"""Scale benchmark of the annual accounts: wall time and peak RSS of each pipeline stage and of three baselines.

Usage (see benchmarks/README.md)::

    .venv/bin/python benchmarks/run_benchmark.py [--parcels N] [--work-dir DIR] [--reuse] [--scale-check]
                                                 [--stages a,b,c,d,e,f,g]

The script prints figures, it asserts nothing. Every stage runs in a fresh subprocess (this same file with
``--child STAGE``), one after another, so that each stage's wall time and peak RSS are its own:

- the pipeline starts worker processes for large inputs, so peak RSS is given twice:
  "max proc MiB" is the high-water mark of the largest single process of the stage's tree, the larger of
  ``ru_maxrss`` from ``os.wait4`` (the kernel folds in the descendants the stage reaped) and the ``VmHWM``
  of every process seen in the tree; "tree MiB" is the peak of the RSS summed over the whole tree, sampled
  with psutil every 50 ms (a spike shorter than that can be missed);
- "wall s" is timed inside the process around the work itself (for the Dagster job: the run time
  ``nrledger`` prints); "proc s" is the whole subprocess, interpreter start and imports included;
- per-category peaks of stages a and b are sampled inside the stage (its own RSS and its workers', every
  50 ms), because the figures above only know the whole stage.

A stage whose process tree grows past ``--rss-limit-mib`` is killed and reported as such. The pipeline's
workers are started with ``spawn`` and import this file again, so nothing runs outside ``main()``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
DEFAULT_WORK_DIR = BENCH_DIR / "work"
YEAR = 2023
DEFAULT_PARCELS = 10_000_000
SCALE_FACTOR = 3
MIB = 1 << 20
POLL_SECONDS = 0.05

# The project's stated targets: printed as met or missed, never asserted.
# (since 2026-12-07: stage a 15 s, was 30 s; the whole job 45 s and 1.5 GiB, was 90 s and 2 GiB)
TARGET_INGEST_VALIDATE_S = 15.0
TARGET_INGEST_VALIDATE_RSS_MIB = 1536.0
TARGET_JOB_S = 45.0
TARGET_JOB_RSS_MIB = 1536.0
TARGET_SPEEDUP_VS_PANDAS = 3.0
TARGET_RATIO_VS_DUCKDB = 1.5
TARGET_SCALE_RSS_GROWTH = 1.20

# Ledger cells of the baselines must equal the pipeline's to 0.01 元 (values are in 万元).
MATCH_TOLERANCE_WAN_YUAN = 1e-6

STAGE_KEYS = "abcdefg"


# ---------------------------------------------------------------------------------------------------------------
# Where things live in the work folder
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paths:
    """The work folder of one province size: generated inputs, stage outputs and logs."""

    work_dir: Path
    parcels: int

    def province(self, fmt: str) -> Path:
        return self.work_dir / "provinces" / f"{fmt}_{self.parcels}"

    @property
    def run_dir(self) -> Path:
        return self.work_dir / "runs" / str(self.parcels)

    def output(self, name: str) -> Path:
        """Output folder of one stage (``<output>/<year>/`` inside, as the pipeline lays it out)."""
        return self.run_dir / name

    def log(self, stage: str) -> Path:
        return self.run_dir / "logs" / f"{stage}.log"

    def child_result(self, stage: str) -> Path:
        return self.run_dir / "logs" / f"{stage}.json"

    @property
    def results(self) -> Path:
        return self.work_dir / "results.json"


# Output folders: stage a's is the pipeline's reference output that c, e, f and g read.
PARQUET_OUT = "pipeline_parquet"
CSV_OUT = "pipeline_csv"
LIKE_FOR_LIKE_OUT = "valuation_land_grassland"
AUDIT_WRITE_OUT = "audit_write_floor"
LAND_VALIDATION_OUT = "validation_land"
DAGSTER_OUT = "dagster"


# ---------------------------------------------------------------------------------------------------------------
# Measuring a subprocess
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class Measurement:
    stage: str
    label: str
    rows: int | None = None
    wall_s: float | None = None
    process_s: float | None = None
    peak_rss_mib: float | None = None  # largest single process of the tree
    tree_rss_peak_mib: float | None = None  # sum over the tree, sampled
    exit_code: int | None = None
    killed_over_limit: bool = False
    details: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.killed_over_limit


def process_tree(process) -> list:
    """A process and its descendants (empty once it is gone)."""
    import psutil

    try:
        return [process, *process.children(recursive=True)]
    except psutil.Error:
        return []


def high_water_bytes(pid: int) -> int:
    """The kernel's peak RSS of one process so far (``VmHWM``); 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def sample_tree(process) -> tuple[int, int]:
    """(RSS summed over the tree now, largest high-water mark of any of its processes so far)."""
    import psutil

    total, largest = 0, 0
    for member in process_tree(process):
        try:
            total += member.memory_info().rss
        except psutil.Error:
            continue
        largest = max(largest, high_water_bytes(member.pid))
    return total, largest


def run_measured(cmd: list[str], log_path: Path, rss_limit_mib: float, env: dict | None = None) -> Measurement:
    """Run ``cmd`` to its end; wall time, the largest single process's peak RSS and the tree's sampled peak.

    The largest process is the larger of ``ru_maxrss`` (the stage and the descendants it reaped) and the
    ``VmHWM`` sampled from every process of the tree (covers workers that outlive the stage or are not reaped).
    """
    import psutil

    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, cwd=PROJECT_DIR, env=env, start_new_session=True
        )
    watched = psutil.Process(proc.pid)
    tree_peak, hwm_peak, processes, killed = 0, 0, set(), False
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        processes.update(p.pid for p in process_tree(watched))
        rss, hwm = sample_tree(watched)
        tree_peak, hwm_peak = max(tree_peak, rss), max(hwm_peak, hwm)
        if rss > rss_limit_mib * MIB and not killed:
            os.killpg(proc.pid, signal.SIGKILL)  # the stage's own process group (start_new_session)
            killed = True
        time.sleep(POLL_SECONDS)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen must not wait again
    ru_maxrss = usage.ru_maxrss * 1024  # Linux: KiB
    return Measurement(
        stage="",
        label="",
        process_s=seconds,
        peak_rss_mib=max(ru_maxrss, hwm_peak) / MIB,
        tree_rss_peak_mib=tree_peak / MIB,
        exit_code=proc.returncode,
        killed_over_limit=killed,
        details={
            "rss": {
                "ru_maxrss_mib": ru_maxrss / MIB,
                "sampled_vmhwm_max_mib": hwm_peak / MIB,
                "processes_seen": len(processes),
            }
        },
    )


def measure_child(
    script: Path, child: str, label: str, extra: list[str], result_path: Path, log: Path, rss_limit_mib: float
) -> Measurement:
    """Run ``script --child <child> … --child-result <result_path>`` in its own interpreter, measured, and combine
    the figures the child wrote (rows, its own wall time, details) with the measured ones. The benchmark scripts
    beside this one use it too."""
    result_path.unlink(missing_ok=True)
    cmd = [sys.executable, str(script), "--child", child, *extra, "--child-result", str(result_path)]
    print(f"  running {label} …", file=sys.stderr, flush=True)
    m = run_measured(cmd, log, rss_limit_mib)
    m.stage, m.label = child, label
    if result_path.exists():
        own = json.loads(result_path.read_text(encoding="utf-8"))
        m.rows, m.wall_s = own.get("rows"), own.get("wall_s")
        m.details.update(own.get("details", {}))
    if not m.ok:
        print(f"  ! {label}: {describe_failure(m)}; log: {log}", file=sys.stderr, flush=True)
        m.details.setdefault("log_tail", tail(log))
    return m


def run_child(stage: str, label: str, paths: Paths, args: argparse.Namespace) -> Measurement:
    """Run one stage of this script in its own interpreter and combine its own figures with the measured ones."""
    return measure_child(
        Path(__file__).resolve(),
        stage,
        label,
        ["--work-dir", str(paths.work_dir), "--parcels", str(paths.parcels)],
        paths.child_result(stage),
        paths.log(stage),
        args.rss_limit_mib,
    )


def describe_failure(m: Measurement) -> str:
    if m.killed_over_limit:
        return f"killed: process tree RSS passed the limit (peak seen {m.tree_rss_peak_mib:,.0f} MiB)"
    return f"exit code {m.exit_code}"


def tail(path: Path, lines: int = 15) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


# ---------------------------------------------------------------------------------------------------------------
# Inside a child: RSS sampling per sub-step, and the stages themselves
# ---------------------------------------------------------------------------------------------------------------


class RssSampler:
    """Samples the RSS of this process and its workers in a thread, so a sub-step (one category) gets its peaks.

    Two peaks per window: the largest single process and the sum over the tree. Current RSS, not the
    kernel's high-water mark: workers live on from one category to the next, their high-water marks would not.
    """

    def __init__(self, interval: float = POLL_SECONDS):
        import psutil

        self.interval = interval
        self._me = psutil.Process()
        self._peaks = (0, 0)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def current(self) -> tuple[int, int]:
        """(largest RSS of one process, RSS summed over the tree) now."""
        import psutil

        sizes = []
        for member in process_tree(self._me):
            with contextlib.suppress(psutil.Error):
                sizes.append(member.memory_info().rss)
        return max(sizes, default=0), sum(sizes)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            largest, total = self.current()
            with self._lock:
                self._peaks = (max(self._peaks[0], largest), max(self._peaks[1], total))

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def window(self) -> dict:
        """Peaks (MiB) since the previous call; the next window starts at the current figures."""
        now = self.current()
        with self._lock:
            peaks = (max(self._peaks[0], now[0]), max(self._peaks[1], now[1]))
            self._peaks = now
        return {"peak_rss_mib": peaks[0] / MIB, "tree_rss_peak_mib": peaks[1] / MIB}


def layout_of(out_dir: Path):
    from assets_pipeline.infra.layout import YearLayout

    return YearLayout(out_dir, YEAR)


def fresh_dir(path: Path) -> Path:
    """An empty folder of the benchmark's own (stage outputs are rewritten on every run)."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def snapshot_reference(layout) -> None:
    """The year's reference snapshots, as the pipeline's reference asset writes them."""
    from assets_pipeline.infra.storage import write_parquet
    from assets_pipeline.reference.tables import load_reference

    for name, table in load_reference().items():
        write_parquet(table.to_arrow(YEAR), layout.reference(name))


def child_generate(paths: Paths, fmt: str) -> dict:
    from assets_pipeline.sample.generate import generate_sample

    folder = fresh_dir(paths.province(fmt))
    started = time.perf_counter()
    # tables only, as the province the targets were set on (until 2026-12-07 the sample had no layers); the overlay
    # and the layers handed back at scale are overlay_bench.py's
    summary = generate_sample(folder, [YEAR], parcels=paths.parcels, formats=fmt, layers="none")
    seconds = time.perf_counter() - started
    (folder / ".complete").write_text(json.dumps(summary.rows[YEAR]), encoding="utf-8")
    return {"rows": sum(summary.rows[YEAR].values()), "wall_s": seconds, "details": {"rows": summary.rows[YEAR]}}


def child_ingest_validate(paths: Paths, fmt: str, out_name: str) -> dict:
    """Stage a / b: reference snapshot, then ingest and validate each of the six categories.

    ``parallel`` is left to the pipeline (workers for large inputs), as the Dagster assets leave it.
    """
    from assets_pipeline.ingest.canonical import ingest_category
    from assets_pipeline.reference.tables import load_reference
    from assets_pipeline.schema.categories import CATEGORIES
    from assets_pipeline.validate.codes import CodeLists
    from assets_pipeline.validate.rows import validate_category

    layout = layout_of(fresh_dir(paths.output(out_name)))
    inputs = paths.province(fmt)
    categories = []
    with RssSampler() as sampler:
        started = time.perf_counter()
        snapshot_reference(layout)
        codes = CodeLists.from_reference(load_reference())
        reference_s = time.perf_counter() - started
        reference_rss = sampler.window()
        for category in CATEGORIES:
            t0 = time.perf_counter()
            ingested = ingest_category(category, inputs, YEAR, layout.ingested(category))
            t1 = time.perf_counter()
            validated = validate_category(category, layout, codes)
            t2 = time.perf_counter()
            categories.append(
                {
                    "category": category,
                    "rows": ingested.rows,
                    "files": len(ingested.files),
                    "ingest_s": t1 - t0,
                    "validate_s": t2 - t1,
                    "wall_s": t2 - t0,
                    **sampler.window(),
                    "valid": validated.rows_valid,
                    "excluded": validated.rows_excluded,
                    "rejected": validated.rows_rejected,
                }
            )
        seconds = time.perf_counter() - started
    return {
        "rows": sum(c["rows"] for c in categories),
        "wall_s": seconds,
        "details": {"reference_s": reference_s, "reference_rss": reference_rss, "categories": categories},
    }


def stage_folder(folder: Path) -> Path:
    """A stage's folder of Parquet parts, which must hold at least one part."""
    from assets_pipeline.infra.layout import part_files

    if not part_files(folder):
        raise SystemExit(f"{folder} has no Parquet parts: run stage a first (same --parcels and --work-dir)")
    return Path(folder)


def stage_files(folder: Path) -> list[str]:
    """The parts of a stage folder, as pyarrow takes them (ingested folders also hold ``unparsed-*`` side tables)."""
    from assets_pipeline.infra.layout import part_files

    return [str(f) for f in part_files(stage_folder(folder))]


def duckdb_source(folder: Path) -> str:
    """What read_parquet takes for a stage folder: the glob of its parts."""
    from assets_pipeline.infra.layout import parts

    return parts(stage_folder(folder))


def validated_rows(layout, categories) -> int:
    import pyarrow.parquet as pq

    files = [f for c in categories for f in stage_files(layout.validated(c))]
    return sum(pq.read_metadata(f).num_rows for f in files)


def value_and_ledgers(layout, categories) -> dict:
    """value_category for each category, then build_ledgers over them; seconds of each step."""
    from assets_pipeline.ledgers import ledger
    from assets_pipeline.valuation.models import value_category

    steps = {}
    started = time.perf_counter()
    for category in categories:
        t0 = time.perf_counter()
        value_category(category, layout, layout.valued(category))
        steps[f"value {category}"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    ledger.build_ledgers(layout, layout.ledger_physical, layout.ledger_value, categories=tuple(categories))
    steps["build_ledgers"] = time.perf_counter() - t0
    return {"wall_s": time.perf_counter() - started, "steps": steps}


def child_valuation_all(paths: Paths) -> dict:
    """Stage c: the six categories valued from stage a's validated Parquet, then the ledgers."""
    from assets_pipeline.schema.categories import CATEGORIES

    layout = layout_of(paths.output(PARQUET_OUT))
    rows = validated_rows(layout, CATEGORIES)
    timed = value_and_ledgers(layout, CATEGORIES)
    return {"rows": rows, "wall_s": timed["wall_s"], "details": {"steps": timed["steps"]}}


def child_valuation_land_grassland(paths: Paths) -> dict:
    """Stage c': the same work as the baselines (land and grassland valued, their ledgers), in a scratch layout."""
    source = layout_of(paths.output(PARQUET_OUT))
    stage_folder(source.validated("land"))
    layout = scratch_layout(paths.output(LIKE_FOR_LIKE_OUT), source, ("reference", "validated"))
    categories = ("land", "grassland")
    rows = validated_rows(layout, categories)
    timed = value_and_ledgers(layout, categories)
    return {"rows": rows, "wall_s": timed["wall_s"], "details": {"steps": timed["steps"]}}


def scratch_layout(out_dir: Path, source, shared: tuple[str, ...]):
    """A fresh layout whose ``_stages/<name>`` folders, for each of ``shared``, are stage a's (symlinked, read only)."""
    layout = layout_of(fresh_dir(out_dir))
    layout.stages.mkdir(parents=True)
    for name in shared:
        (layout.stages / name).symlink_to(source.stages / name, target_is_directory=True)
    return layout


def child_pipeline_land_validation(paths: Paths) -> dict:
    """The pipeline's validate_category on stage a's ingested land, alone (the peer of the plain validation).

    validate_category reads and writes the folders of one layout: a scratch layout shares a's ingested folder.
    """
    from assets_pipeline.reference.tables import load_reference
    from assets_pipeline.validate.codes import CodeLists
    from assets_pipeline.validate.rows import validate_category

    source = layout_of(paths.output(PARQUET_OUT))
    stage_folder(source.ingested("land"))
    layout = scratch_layout(paths.output(LAND_VALIDATION_OUT), source, ("ingested",))
    codes = CodeLists.from_reference(load_reference())
    started = time.perf_counter()
    result = validate_category("land", layout, codes)
    seconds = time.perf_counter() - started
    return {
        "rows": result.rows_read,
        "wall_s": seconds,
        "details": {"rejected_rows": result.rows_rejected, "reject_lines": result.reject_lines},
    }


def child_plain_validation(paths: Paths) -> dict:
    """Baseline e: the whole ingested land Parquet in one frame, validated at once by the same Pandera model.

    Since 2026-12-07 the model runs on Pandera's polars backend, so the one frame is a polars DataFrame (until then
    a pandas one); names written for codes are accepted first, as the pipeline does.
    """
    import pandera.polars as pa
    import pyarrow.parquet as pq

    from assets_pipeline.reference.tables import load_reference
    from assets_pipeline.validate.codes import CodeLists
    from assets_pipeline.validate.model import build_model, polars_frame
    from assets_pipeline.validate.rows import map_names_to_codes

    source = layout_of(paths.output(PARQUET_OUT))
    ingested = stage_files(source.ingested("land"))
    codes = CodeLists.from_reference(load_reference())
    started = time.perf_counter()
    model = build_model("land", codes)
    frame = polars_frame(map_names_to_codes(pq.read_table(ingested), codes))
    try:
        model.validate(frame, lazy=True)
        failures, failing_rows = 0, 0
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        failures, failing_rows = len(cases), cases["index"].drop_nulls().n_unique()
    seconds = time.perf_counter() - started
    return {"rows": len(frame), "wall_s": seconds, "details": {"failure_cases": failures, "failing_rows": failing_rows}}


# ---------------------------------------------------------------------------------------------------------------
# Baseline f: the ledgers of land and grassland with plain pandas merges and groupbys
# ---------------------------------------------------------------------------------------------------------------

CONSTRUCTION_LEVEL1 = ("05", "06", "07", "08", "09", "10")
LAND_USE_OF_LEVEL1 = {"05": "commercial", "07": "residential", "06": "industrial"}
UNIT_FACTORS = {"元/平方米": 1.0, "元/亩": 0.0015, "元/公顷": 0.0001}


def reference_frames(layout, names) -> dict:
    """Reference snapshots as pandas frames, their exact decimals as floats (the plain way computes in floats)."""
    import pyarrow as pa_arrow
    import pyarrow.parquet as pq

    frames = {}
    for name in names:
        table = pq.read_table(layout.reference(name))
        floats = pa_arrow.schema(
            [
                pa_arrow.field(f.name, pa_arrow.float64()) if pa_arrow.types.is_decimal(f.type) else f
                for f in table.schema
            ]
        )
        frames[name] = table.cast(floats).to_pandas()
    return frames


def plain_regions(ref: dict):
    """county → city; the province code."""
    divisions = ref["admin_divisions"]
    counties = divisions[divisions["level"] == "county"]
    regions = counties[["region_code", "parent_code"]].rename(columns={"parent_code": "city_code"})
    province = divisions.loc[divisions["level"] == "province", "region_code"].iloc[0]
    return regions, province


def grade_text(series):
    """An integer column (float with NaN after read_parquet) as the text the price tables key on."""
    return series.astype("Int64").astype("string")


def cascade_prices(frame, steps, carry: dict | None = None) -> None:
    """Fill ``price``/``unit`` from the first step that has a row for each still unpriced record, and
    ``price_level`` with that step's level.

    ``steps``: (frame key columns, price table, table key columns, level) in order of preference; ``carry``: more
    columns of the price row to keep, {table column: frame column} (where the price came from, for the audit trail).
    """
    import numpy as np

    carry = carry or {}
    frame["price"], frame["unit"], frame["price_level"] = np.nan, None, None
    for column in carry.values():
        frame[column] = None
    kept = ["price", "unit", *carry.values()]
    for frame_keys, table, table_keys, level in steps:
        todo = frame["price"].isna().to_numpy()
        if not todo.any():
            break
        lookup = table[list(table_keys) + ["price", "unit", *carry]].set_axis(list(frame_keys) + kept, axis=1)
        found = frame.loc[todo, list(frame_keys)].merge(lookup, how="left", on=list(frame_keys))
        for column in kept:
            frame.loc[todo, column] = found[column].to_numpy()
        frame.loc[todo & frame["price"].notna().to_numpy(), "price_level"] = level


def plain_land_rows(layout, ref: dict):
    """The in-scope land rows with their value (元, NaN when unpriced), as valuation_models/land.sql computes them,
    and the in-scope rows of other categories' classes, which the model keeps as excluded (``in_ledger`` False)."""
    import numpy as np
    import pandas as pd

    columns = [
        "_row_id",
        "_source_file",
        "_source_row",
        "parcel_id",
        "subject",
        "region_code",
        "land_class",
        "area_m2",
        "price_zone",
        "cropland_grade",
        "plot_ratio",
        "supply_method",
        "granted_term_years",
        "years_used",
        "exclusion_reason",
        *PLAIN_MEMOS.values(),
        *ROW_ONLY_MEMOS.values(),
    ]
    rows = pd.read_parquet(stage_folder(layout.validated("land")), columns=columns)
    rows = rows[rows["exclusion_reason"].isna()]
    rows["class_stem"] = rows["land_class"].str.removesuffix("K")
    classes = ref["land_classes"][["land_class", "parent_class", "land_group", "category"]]
    classes = classes.rename(columns={"land_class": "class_stem", "category": "class_category"})
    rows = rows.merge(classes, on="class_stem", how="inner")
    regions, province = plain_regions(ref)
    rows = rows.merge(regions, on="region_code", how="inner")
    # the correction factors of construction land are in the audit trail of the other categories' classes too
    rows["class_level1"] = rows["parent_class"].fillna(rows["class_stem"])
    construction = (rows["parent_class"].isin(CONSTRUCTION_LEVEL1) | (rows["class_stem"] == "09")).to_numpy()
    rows["is_construction"] = construction
    rows["land_use"] = rows["class_level1"].map(LAND_USE_OF_LEVEL1).fillna("other")
    rows["factor_plot_ratio"] = plot_ratio_factors(rows, construction, ref["land_plot_ratio_corrections"])
    rows["factor_equity"] = equity_factors(rows, construction, ref)
    for factor in ("factor_plot_ratio", "factor_equity"):  # off construction land the model leaves them empty
        rows[f"{factor}_trail"] = rows[factor].where(construction, np.nan)
    others = rows[rows["class_category"] != "land"].reset_index(drop=True)
    land = rows[rows["class_category"] == "land"].reset_index(drop=True)
    land["grade"] = grade_text(land["cropland_grade"])
    land["province_code"] = province

    carry = {"year": "price_year", "region_code": "price_region", "price_zone": "price_zone_used"}
    carry.update({"land_class": "price_class", "cropland_grade": "price_grade"})
    cascade_prices(land, land_price_steps(ref["land_base_prices"]), carry)
    land["factor_unit"] = land["unit"].map(UNIT_FACTORS)
    land["factor_date"] = land["land_group"].map(ref["land_date_corrections"].set_index("land_group")["factor"])
    land["value_yuan"] = (
        land["area_m2"]
        * land["factor_unit"]
        * land["price"]
        * land["factor_date"]
        * land["factor_plot_ratio"]
        * land["factor_equity"]
    )
    for memo, column in {**PLAIN_MEMOS, **ROW_ONLY_MEMOS}.items():
        land[f"{memo}_share"] = (land[column] / land["area_m2"].where(land["area_m2"] != 0)).clip(upper=1).fillna(0)
    land["hay_t"] = float("nan")
    land["in_ledger"] = True
    others["in_ledger"] = False
    for memo, column in {**PLAIN_MEMOS, **ROW_ONLY_MEMOS}.items():
        others[f"{memo}_share"] = (
            (others[column] / others["area_m2"].where(others["area_m2"] != 0)).clip(upper=1).fillna(0)
        )
    rows = pd.concat([land, others], ignore_index=True)
    return rows.assign(category="land", item_code=rows["parent_class"].fillna(rows["class_stem"]))


def land_price_steps(prices) -> list:
    """Price zone, county, city, province; within each the 4-digit class before the first-level class,
    and a row for the cropland grade before the row without one (the order of valuation_models/land.sql)."""
    zoned = prices[prices["price_zone"].notna()]
    unzoned = prices[prices["price_zone"].isna()]
    steps = []
    for frame_region, table, table_region, level in (
        ("price_zone", zoned, "price_zone", "zone"),
        ("region_code", unzoned, "region_code", "county"),
        ("city_code", unzoned, "region_code", "city"),
        ("province_code", unzoned, "region_code", "province"),
    ):
        for frame_class in ("class_stem", "class_level1"):
            graded = table[table["cropland_grade"].notna()]
            ungraded = table[table["cropland_grade"].isna()]
            graded_keys = (table_region, "land_class", "cropland_grade")
            steps.append(((frame_region, frame_class, "grade"), graded, graded_keys, level))
            steps.append(((frame_region, frame_class), ungraded, (table_region, "land_class"), level))
    return steps


def plot_ratio_factors(land, construction, corrections):
    """1 off construction land or without a plot ratio; else linear between table points, clamped at the ends."""
    import numpy as np

    factor = np.ones(len(land))
    ratio = land["plot_ratio"].to_numpy()
    use = land["land_use"].to_numpy()
    for land_use in np.unique(use[construction]):
        rows = construction & (use == land_use) & ~np.isnan(ratio)
        table = corrections[corrections["land_use"] == land_use].sort_values("plot_ratio")
        if table.empty:
            factor[rows] = np.nan
        else:
            factor[rows] = np.interp(ratio[rows], table["plot_ratio"].to_numpy(), table["factor"].to_numpy())
    return factor


def equity_factors(land, construction, ref):
    """Owner-equity coefficient of granted construction land; 1 for the rest, NaN when the term is missing."""
    import numpy as np

    parameters = ref["land_parameters"].set_index("parameter")["value"]
    r = parameters["capitalisation_rate"]
    legal = (
        land["land_use"]
        .map({"commercial": parameters["legal_term_commercial"], "residential": parameters["legal_term_residential"]})
        .fillna(parameters["legal_term_other"])
    )
    owner = land["supply_method"].map(ref["supply_methods"].set_index("supply_method")["owner_equity"]).fillna("whole")
    remaining = (land["granted_term_years"] - land["years_used"]).to_numpy(dtype=float, na_value=np.nan)
    coefficient = 1 - (1 - (1 + r) ** -remaining) / (1 - (1 + r) ** -legal.to_numpy(dtype=float))
    reversion = construction & (owner != "whole").to_numpy()
    return np.where(reversion, coefficient, 1.0)


def plain_grassland_rows(layout, ref: dict):
    """The in-scope grassland rows with their value (元, NaN when unpriced) and hay yield (t), as
    valuation_models/grassland.sql computes them."""
    import pandas as pd

    columns = ["_row_id", "_source_file", "_source_row", "parcel_id", "base_parcel_id", "subject"]
    columns += ["region_code", "grassland_type", "grade", "area_m2", "hay_yield_kg_per_ha", "exclusion_reason"]
    grass = pd.read_parquet(stage_folder(layout.validated("grassland")), columns=columns)
    grass = grass[grass["exclusion_reason"].isna()]
    regions, province = plain_regions(ref)
    grass = grass.merge(regions, on="region_code", how="inner").reset_index(drop=True)
    grass["grade_text"] = grade_text(grass["grade"])
    grass["province_code"] = province
    prices = ref["grassland_prices"]
    keys = ("region_code", "grassland_type", "grade")
    steps = [
        ((region, "grassland_type", "grade_text"), prices, keys, level)
        for region, level in (("region_code", "county"), ("city_code", "city"), ("province_code", "province"))
    ]
    cascade_prices(grass, steps, {"year": "price_year", "region_code": "price_region"})
    grass["factor_unit"] = grass["unit"].map(UNIT_FACTORS)
    grass["value_yuan"] = grass["area_m2"] * grass["factor_unit"] * grass["price"]
    grass["hay_t"] = grass["hay_yield_kg_per_ha"] * grass["area_m2"] * 1e-7
    for memo in PLAIN_MEMOS:  # the base map's shares come with the consistency step, which this stage does not run
        grass[f"{memo}_share"] = 0.0
    grass["in_ledger"] = True
    return grass.rename(columns={"grassland_type": "item_code"}).assign(category="grassland")


PLAIN_MEMOS = {"redline": "redline_area_m2", "farmland": "basic_farmland_area_m2", "protected": "protected_area_m2"}
# the two memos of DOMAIN §6 (core zone, urban boundary): written on the valued rows as the pipeline does; the
# baselines' ledgers leave their "of which" cells out
ROW_ONLY_MEMOS = {"core": "protected_core_area_m2", "urban": "urban_boundary_area_m2"}


def half_up(values):
    """Round half-up to 2 decimals, as the ledgers publish (numpy's round is half-to-even)."""
    import numpy as np

    return np.sign(values) * np.floor(np.abs(values) * 100 + 0.5) / 100


def plain_ledgers(rows, ref: dict):
    """Both ledgers of the rows, as the pipeline publishes them: county sums per item × exercising subject, the
    physical indicators and the value with their "of which" memos, county cells rounded half-up, cities and the
    province sums of published cells. One record per cell, keyed like bare_duckdb_sql's rows."""
    import pandas as pd

    rules = ref["exercising_subject_rules"]
    by_item = rules[rules["item_code"] != "*"].set_index(["category", "item_code"])["subject"]
    by_category = rules[rules["item_code"] == "*"].set_index("category")["subject"]
    index = pd.MultiIndex.from_frame(rows[["category", "item_code"]])
    rows["subject"] = by_item.reindex(index).to_numpy()
    rows["subject"] = rows["subject"].fillna(rows["category"].map(by_category))
    rows["valued"] = rows["value_yuan"].notna()
    for memo in PLAIN_MEMOS:
        for measure in ("area_m2", "hay_t", "value_yuan"):
            rows[f"{memo}__{measure}"] = rows[measure] * rows[f"{memo}_share"]
    keys = ["category", "region_code", "item_code", "subject"]
    sums = rows.groupby(keys, as_index=False).agg(
        **{
            c: (c, lambda x: x.sum(min_count=1)) if c.endswith("hay_t") else (c, "sum")
            for c in ["area_m2", "hay_t", "value_yuan"]
            + [f"{m}__{x}" for m in PLAIN_MEMOS for x in ("area_m2", "hay_t", "value_yuan")]
        },
        rows_valued=("valued", "sum"),
    )
    cells = []
    for part, prefix in [("ledger", "")] + [(m, f"{m}__") for m in PLAIN_MEMOS]:
        for ledger, measure, column, factor, keep in (
            ("physical", "area", "area_m2", 1e-4, sums["area_m2"].notna()),
            ("physical", "area_mu", "area_m2", 0.0015, sums["area_m2"].notna()),
            ("physical", "hay_yield", "hay_t", 1.0, (sums["category"] == "grassland") & sums["hay_t"].notna()),
            ("value", "land", "value_yuan", 1e-4, sums["rows_valued"] > 0),
        ):
            cell = sums.loc[keep, keys].assign(ledger=ledger, part=part, measure=measure)
            cell["exact"] = sums.loc[keep, prefix + column].fillna(0) * factor
            cells.append(cell)
    county = pd.concat(cells, ignore_index=True)
    county["published"] = half_up(county["exact"].to_numpy())
    parents = ref["admin_divisions"].set_index("region_code")["parent_code"]
    dims = ["ledger", "part", "category", "item_code", "subject", "measure"]
    levels = [county]
    for _ in ("city", "province"):
        up = levels[-1].assign(region_code=levels[-1]["region_code"].map(parents))
        levels.append(up.groupby(dims + ["region_code"], as_index=False)[["exact", "published"]].sum())
    cells = pd.concat(levels, ignore_index=True)
    return list(
        cells[dims[:3] + ["region_code", "item_code", "subject", "measure", "published", "exact"]].itertuples(
            index=False, name=None
        )
    )


# ---------------------------------------------------------------------------------------------------------------
# The valued rows with their audit trail, as the pipeline writes them (baselines f and g)
# ---------------------------------------------------------------------------------------------------------------

# The columns of the pipeline's valued files (valuation_models/<model>.sql, then assets_pipeline/valuation/
# valued_rows.sql), in its order; the baselines write the same.
TRAIL_TAIL = ["value_yuan", "subject", "subject_source", "city_code", "model", "model_version", "year"]
VALUED_COLUMNS = {
    "land": [
        "_row_id", "_source_file", "_source_row", "category", "region_code", "parcel_id", "base_parcel_id",
        "land_class", "item_code", "component", "status", "status_reason", "area_m2", "consistency_findings",
        "redline_share", "farmland_share", "protected_share", "core_share", "urban_share", "price_table", "price_key",
        "price_level",
        "price_region", "price_year", "unit_price", "price_unit", "factor_unit", "factor_date", "factor_plot_ratio",
        "factor_equity", *TRAIL_TAIL,
    ],
    "grassland": [
        "_row_id", "_source_file", "_source_row", "category", "region_code", "parcel_id", "base_parcel_id",
        "item_code", "component", "status", "status_reason", "area_m2", "hay_t", "price_table", "price_key",
        "price_level", "price_region", "price_year", "unit_price", "price_unit", "factor_unit",
        "consistency_findings", "consistency_resolution", "delivered_area_m2", "redline_share", "farmland_share",
        "protected_share", "core_share", "urban_share", "value_yuan", "base_link", *TRAIL_TAIL[1:],
    ],
}  # fmt: skip
TRAIL_ORDER = ["_row_id", "_source_file", "_source_row"]  # valued_rows.sql: ORDER BY _row_id, component, …
BASELINE_ROWS_OUT = {"f": "baseline_pandas_valued", "g": "baseline_duckdb_valued"}


def model_version(model: str) -> str:
    """The ``-- version:`` line of valuation_models/<model>.sql, which the valued rows carry."""
    text = (PROJECT_DIR / "valuation_models" / f"{model}.sql").read_text(encoding="utf-8")
    return re.search(r"^--\s*version:\s*(\S+)", text, re.MULTILINE).group(1)


def as_text(series):
    return series.astype("string")


def land_trail(land, ref: dict):
    """The land model's audit columns from plain_land_rows' frame (status, reason, where the price came from)."""
    import numpy as np

    excluded = ~land["in_ledger"].to_numpy()
    unpriced = land["value_yuan"].isna().to_numpy() & ~excluded
    construction = land["is_construction"].fillna(False).astype(bool)
    reason = np.select(
        [
            excluded,
            land["price"].isna(),
            land["factor_unit"].isna(),
            land["factor_date"].isna(),
            construction & land["factor_plot_ratio"].isna(),
            construction & land["factor_equity"].isna(),
        ],
        [
            "valued in the " + as_text(land["class_category"]) + " category from its inventory",
            "no base price for county "
            + as_text(land["region_code"])
            + ", class "
            + as_text(land["class_stem"])
            + (", grade " + as_text(land["grade"])).fillna(""),
            "unknown price unit " + as_text(land["unit"]),
            "no date correction for land group " + as_text(land["land_group"]),
            "no plot-ratio correction for " + as_text(land["land_use"]),
            "granted land without granted_term_years / years_used",
        ],
        None,
    )
    priced = land["price"].notna()
    return land.assign(
        base_parcel_id=land["parcel_id"],
        land_class=land["class_stem"],
        status=np.where(excluded, "excluded", np.where(unpriced, "unpriced", "valued")),
        status_reason=reason,
        price_table="ref_land_base_prices",
        price_key=(
            "zone=" + as_text(land["price_zone_used"]).fillna("") + " region=" + as_text(land["price_region"])
            + " class=" + as_text(land["price_class"]) + " grade=" + as_text(land["price_grade"]).fillna("")
        ),
        unit_price=land["price"],
        price_unit=land["unit"],
        factor_date=land["factor_date"].where(priced),
        factor_plot_ratio=land["factor_plot_ratio_trail"],
        factor_equity=land["factor_equity_trail"],
        value_yuan=land["value_yuan"].where(~unpriced),
    )  # fmt: skip


def grassland_trail(grass, ref: dict):
    """The grassland model's audit columns from plain_grassland_rows' frame (its keys checked against the table)."""
    import numpy as np

    prices = ref["grassland_prices"]
    types, grades = set(prices["grassland_type"].dropna()), set(prices["grade"].dropna())
    kind, grade = as_text(grass["item_code"]), as_text(grass["grade_text"])
    unpriced = grass["value_yuan"].isna()
    reason = np.select(
        [kind.isna(), ~kind.isin(types), ~grade.isin(grades), grass["price"].isna(), grass["factor_unit"].isna()],
        [
            "no grassland inventory row describes this base parcel: type and grade unknown",
            "grassland_type '" + kind + "' not in grassland_prices",
            "grade '" + grade + "' not in grassland_prices",
            "no grassland price for county " + as_text(grass["region_code"]) + ", type " + kind + ", grade " + grade,
            "unknown price unit " + as_text(grass["unit"]),
        ],
        None,
    )
    return grass.assign(
        base_parcel_id=as_text(grass["base_parcel_id"]),
        status=np.where(unpriced, "unpriced", "valued"),
        status_reason=reason,
        price_table="ref_grassland_prices",
        price_key="region=" + as_text(grass["price_region"]).fillna("") + " type=" + kind + " grade=" + grade,
        unit_price=grass["price"],
        price_unit=grass["unit"],
        consistency_resolution=None,
        delivered_area_m2=grass["area_m2"],
        redline_share=np.nan,
        farmland_share=np.nan,
        protected_share=np.nan,
        core_share=np.nan,
        urban_share=np.nan,
        base_link="delivered",
    )


TRAIL_INTEGERS = {"_row_id": "int64", "_source_row": "int64", "price_year": "int64", "year": "int32"}
TRAIL_FLOATS = {
    "area_m2", "hay_t", "delivered_area_m2", "redline_share", "farmland_share", "protected_share", "core_share",
    "urban_share", "unit_price",
    "factor_unit", "factor_date", "factor_plot_ratio", "factor_equity", "value_yuan",
}  # fmt: skip


def write_plain_valued(category: str, rows, ref: dict, out_dir: Path) -> Path:
    """A category's valued rows as the pipeline writes them: its columns in its order, the exercising subject
    (the row's own, else the rule by item, else the category's), sorted by row id so a re-run writes the same
    bytes. Decimals of the pipeline are floats here, the delivered file name plain text."""
    import pandas as pd
    import pyarrow as pa_arrow
    import pyarrow.parquet as pq

    rules = ref["exercising_subject_rules"]
    by_item = rules[rules["item_code"] != "*"].set_index(["category", "item_code"])["subject"]
    by_category = rules[rules["item_code"] == "*"].set_index("category")["subject"]
    rule = pd.Series(by_item.reindex(pd.MultiIndex.from_frame(rows[["category", "item_code"]])).to_numpy(), rows.index)
    rows = rows.assign(
        component="land",
        consistency_findings=None,
        subject_source=rows["subject"].notna().map({True: "input", False: "rule"}),
        subject=rows["subject"].fillna(rule).fillna(rows["category"].map(by_category)),
        price_year=pd.to_numeric(rows["price_year"]).astype("Int64"),
        model=category,
        model_version=model_version(category),
        year=YEAR,
    )
    rows = rows.sort_values(TRAIL_ORDER, kind="stable")[VALUED_COLUMNS[category]]
    schema = pa_arrow.schema(
        [
            pa_arrow.field(c, TRAIL_INTEGERS.get(c, "float64" if c in TRAIL_FLOATS else "string"))
            for c in VALUED_COLUMNS[category]
        ]
    )
    path = out_dir / f"{category}.parquet"
    table = pa_arrow.Table.from_pandas(rows, schema=schema, preserve_index=False)
    pq.write_table(table, path, compression="zstd", compression_level=1)
    return path


def child_plain_valuation(paths: Paths) -> dict:
    import pandas as pd

    layout = layout_of(paths.output(PARQUET_OUT))
    rows = validated_rows(layout, ("land", "grassland"))
    started = time.perf_counter()
    ref = reference_frames(
        layout,
        [
            "admin_divisions",
            "land_classes",
            "land_base_prices",
            "land_date_corrections",
            "land_plot_ratio_corrections",
            "land_parameters",
            "supply_methods",
            "grassland_prices",
            "exercising_subject_rules",
        ],
    )
    columns = ["category", "region_code", "item_code", "area_m2", "hay_t", "value_yuan"] + [
        f"{m}_share" for m in PLAIN_MEMOS
    ]
    land, grass = plain_land_rows(layout, ref), plain_grassland_rows(layout, ref)
    in_ledger = pd.concat([land.loc[land["in_ledger"], columns], grass[columns]], ignore_index=True)
    records = plain_ledgers(in_ledger, ref)
    ledgers_s = time.perf_counter() - started
    out_dir = fresh_dir(paths.output(BASELINE_ROWS_OUT["f"]))
    files = [
        write_plain_valued("land", land_trail(land, ref), ref, out_dir),
        write_plain_valued("grassland", grassland_trail(grass, ref), ref, out_dir),
    ]
    seconds = time.perf_counter() - started
    return {
        "rows": rows,
        "wall_s": seconds,
        "details": {
            "ledgers_only_s": ledgers_s,
            "valued_rows_s": seconds - ledgers_s,
            "steps": {
                "ledgers part (f and g measured only this before 2026-12-07)": ledgers_s,
                "valued rows written": seconds - ledgers_s,
            },
            "cells": len(records),
            "check": compare_with_pipeline(layout, records),
            "valued_check": compare_valued_rows(paths, files),
        },
    }


# ---------------------------------------------------------------------------------------------------------------
# Baseline g: the same ledgers in one DuckDB statement
# ---------------------------------------------------------------------------------------------------------------


def dec_mul(a: str, b: str) -> str:
    """The pipeline's exact product (duck.connect's macro), written inline so the query stays one statement."""
    return f"CAST(CAST({a} AS DECIMAL(38, 10)) * CAST({b} AS DECIMAL(38, 12)) AS DECIMAL(38, 10))"


def double_mul(a: str, b: str) -> str:
    return f"(CAST({a} AS DOUBLE) * CAST({b} AS DOUBLE))"


def bare_duckdb_sql(exact: bool = True) -> str:
    """The physical and value ledgers of land and grassland in one statement, as the pipeline publishes them:
    every county, city and province cell of every item × exercising subject, the physical indicators (area in
    公顷 and 亩, hay yield) and the value, each with its three "of which" memos; county cells rounded half-up,
    cities and the province sums of published cells (DOMAIN §5). ``exact``: the pipeline's decimals, else DOUBLE.

    Like the models: a key's unit value (unit conversion × price [× date correction]) is computed once per
    key, a row's value is its area × that unit value (exact at 12 decimals), construction land's factors on top.
    One row per cell: (ledger, part, category, region_code, item_code, subject, measure, published, exact), where
    part is ``ledger`` or a memo and measure the indicator (physical) or component (value).
    """
    mul = dec_mul if exact else double_mul
    unit = "CASE {u} WHEN '元/平方米' THEN 1.0 WHEN '元/亩' THEN 0.0015 WHEN '元/公顷' THEN 0.0001 END"
    land_key_value = mul(mul(unit.format(u="p.unit"), "p.price"), "dc.factor")
    grass_key_value = mul(unit.format(u="p.unit"), "p.price")
    if exact:
        area = "CAST(area_m2 AS DECIMAL(18, 2))"
        land_value = (
            f"CASE WHEN is_construction THEN CAST({mul(mul(area + ' * key_value', 'factor_plot_ratio'), 'factor_equity')}"
            f" AS DECIMAL(38, 12)) ELSE {area} * key_value END"
        )
        grass_value = "CAST(g.area_m2 AS DECIMAL(18, 2)) * gp.key_value"
        grass_area = "CAST(g.area_m2 AS DECIMAL(18, 2))"
        hay = (
            "CAST(CAST(g.hay_yield_kg_per_ha AS DECIMAL(18, 4)) * CAST(g.area_m2 AS DECIMAL(18, 2)) * 0.0000001 "
            "AS DECIMAL(38, 12))"
        )
        share = "CAST(least(CAST({c} AS DECIMAL(18, 2)) / nullif(CAST(i.area_m2 AS DECIMAL(18, 2)), 0), 1) AS DECIMAL(18, 10))"
    else:
        land_value = mul(mul(mul("area_m2", "key_value"), "factor_plot_ratio"), "factor_equity")
        grass_value = mul("g.area_m2", "gp.key_value")
        grass_area = "CAST(g.area_m2 AS DOUBLE)"
        hay = "(g.hay_yield_kg_per_ha * g.area_m2 * 0.0000001)"
        share = "least({c} / nullif(i.area_m2, 0), 1)"
    units = ", ".join(f"'{u}'" for u in UNIT_FACTORS)
    memos = {"redline": "redline_area_m2", "farmland": "basic_farmland_area_m2", "protected": "protected_area_m2"}
    land_shares = ", ".join(
        f"CASE WHEN i.{column} IS NULL THEN 0 ELSE {share.format(c='i.' + column)} END AS {memo}_share"
        for memo, column in memos.items()
    )
    memo_sums = ",\n               ".join(
        f"sum(a.{measure} * coalesce(a.{memo}_share, 0)) AS {memo}__{measure}"
        for memo in memos
        for measure in ("area_m2", "hay_t", "value_yuan")
    )
    # (ledger, indicator or component, quantity of the county sums) as ledger_physical / ledger_value publish them
    measures = [
        ("physical", "area", "{p}area_m2 * 0.0001", "true"),
        ("physical", "area_mu", "{p}area_m2 * 0.0015", "true"),
        ("physical", "hay_yield", "{p}hay_t", "category = 'grassland' AND hay_t IS NOT NULL"),
        ("value", "land", "{p}value_yuan * 0.0001", "rows_valued > 0"),
    ]
    cells = "\n        UNION ALL ".join(
        f"SELECT '{ledger}' AS ledger, '{part}' AS part, category, region_code, item_code, subject, '{measure}' AS measure, "
        f"{expression.format(p=prefix)} AS exact FROM county_sums WHERE {where}"
        for part, prefix in [("ledger", "")] + [(m, f"{m}__") for m in memos]
        for ledger, measure, expression, where in measures
    )
    return f"""
    WITH divisions AS (SELECT * FROM read_parquet($admin_divisions)),
    province AS (SELECT region_code AS province_code FROM divisions WHERE level = 'province'),
    regions AS (SELECT region_code, parent_code AS city_code FROM divisions WHERE level = 'county'),
    parcels AS (
        SELECT i.region_code, r.city_code, i.price_zone, i.cropland_grade, i.area_m2, i.plot_ratio, i.supply_method,
               i.granted_term_years, i.years_used, {land_shares}, c.land_class AS class_stem,
               coalesce(c.parent_class, c.land_class) AS class_level1, c.land_group,
               coalesce(c.parent_class IN ('05', '06', '07', '08', '09', '10') OR c.land_class = '09', false) AS is_construction,
               CASE coalesce(c.parent_class, c.land_class) WHEN '05' THEN 'commercial' WHEN '07' THEN 'residential'
                    WHEN '06' THEN 'industrial' ELSE 'other' END AS land_use
        FROM read_parquet($land) i
        JOIN read_parquet($land_classes) c ON c.land_class = regexp_replace(i.land_class, 'K$', '')
        JOIN regions r ON r.region_code = i.region_code
        WHERE i.exclusion_reason IS NULL AND c.category = 'land'
    ),
    land_keys AS (SELECT DISTINCT region_code, city_code, price_zone, class_stem, class_level1, cropland_grade, land_group
                  FROM parcels),
    land_prices AS (
        SELECT k.region_code, k.price_zone, k.class_stem, k.cropland_grade, p.unit, {land_key_value} AS key_value
        FROM land_keys k CROSS JOIN province v
        JOIN read_parquet($land_date_corrections) dc ON dc.land_group = k.land_group
        JOIN read_parquet($land_base_prices) p
          ON ((p.price_zone IS NOT NULL AND p.price_zone = k.price_zone)
              OR (p.price_zone IS NULL AND p.region_code IN (k.region_code, k.city_code, v.province_code)))
         AND p.land_class IN (k.class_stem, k.class_level1)
         AND (p.cropland_grade IS NULL OR p.cropland_grade = CAST(k.cropland_grade AS VARCHAR))
        QUALIFY row_number() OVER (
            PARTITION BY k.region_code, k.price_zone, k.class_stem, k.cropland_grade
            ORDER BY CASE WHEN p.price_zone IS NOT NULL THEN 1 WHEN p.region_code = k.region_code THEN 2
                          WHEN p.region_code = k.city_code THEN 3 ELSE 4 END,
                     (p.land_class = k.class_stem) DESC, (p.cropland_grade IS NOT NULL) DESC) = 1
    ),
    parameters AS (
        SELECT max(value) FILTER (WHERE parameter = 'capitalisation_rate') AS r,
               max(value) FILTER (WHERE parameter = 'legal_term_commercial') AS n_commercial,
               max(value) FILTER (WHERE parameter = 'legal_term_residential') AS n_residential,
               max(value) FILTER (WHERE parameter = 'legal_term_other') AS n_other
        FROM read_parquet($land_parameters)
    ),
    corrections AS (SELECT * FROM read_parquet($land_plot_ratio_corrections)),
    plot_ratios AS (SELECT DISTINCT land_use, plot_ratio FROM parcels WHERE is_construction AND plot_ratio IS NOT NULL),
    plot_ratio_factors AS (
        SELECT q.land_use, q.plot_ratio,
               CAST(CASE WHEN lo.plot_ratio IS NULL THEN hi.factor
                         WHEN hi.plot_ratio IS NULL OR hi.plot_ratio = lo.plot_ratio THEN lo.factor
                         ELSE lo.factor + (hi.factor - lo.factor)
                              * (CAST(q.plot_ratio AS DECIMAL(18, 6)) - lo.plot_ratio) / (hi.plot_ratio - lo.plot_ratio)
                    END AS DECIMAL(38, 12)) AS factor
        FROM plot_ratios q
        LEFT JOIN LATERAL (SELECT plot_ratio, factor FROM corrections c WHERE c.land_use = q.land_use
                           AND c.plot_ratio <= q.plot_ratio ORDER BY c.plot_ratio DESC LIMIT 1) lo ON true
        LEFT JOIN LATERAL (SELECT plot_ratio, factor FROM corrections c WHERE c.land_use = q.land_use
                           AND c.plot_ratio >= q.plot_ratio ORDER BY c.plot_ratio LIMIT 1) hi ON true
    ),
    land_factors AS (
        SELECT p.region_code, p.class_level1 AS item_code, p.area_m2, p.is_construction, pr.unit, pr.key_value,
               p.redline_share, p.farmland_share, p.protected_share,
               CASE WHEN NOT p.is_construction OR p.plot_ratio IS NULL THEN 1 ELSE prf.factor END AS factor_plot_ratio,
               CASE WHEN NOT p.is_construction OR coalesce(sm.owner_equity, 'whole') = 'whole' THEN 1
                    WHEN p.granted_term_years IS NULL OR p.years_used IS NULL THEN NULL
                    ELSE CAST(1 - (1 - pow(1 + par.r, -(p.granted_term_years - p.years_used)))
                                  / (1 - pow(1 + par.r, -(CASE p.land_use WHEN 'commercial' THEN par.n_commercial
                                                                          WHEN 'residential' THEN par.n_residential
                                                                          ELSE par.n_other END)))
                              AS DECIMAL(38, 12)) END AS factor_equity
        FROM parcels p CROSS JOIN parameters par
        LEFT JOIN land_prices pr ON pr.region_code = p.region_code AND pr.class_stem = p.class_stem
             AND pr.price_zone IS NOT DISTINCT FROM p.price_zone AND pr.cropland_grade IS NOT DISTINCT FROM p.cropland_grade
        LEFT JOIN plot_ratio_factors prf ON prf.land_use = p.land_use AND prf.plot_ratio = p.plot_ratio
        LEFT JOIN read_parquet($supply_methods) sm ON sm.supply_method = p.supply_method
    ),
    -- every in-scope row counts in the physical ledger; the value only where every factor is known
    land_rows AS (
        SELECT 'land' AS category, region_code, item_code, area_m2, NULL::DECIMAL(38, 12) AS hay_t,
               redline_share, farmland_share, protected_share,
               CASE WHEN unit IN ({units}) AND factor_plot_ratio IS NOT NULL AND factor_equity IS NOT NULL
                    THEN {land_value} END AS value_yuan
        FROM land_factors
    ),
    grass AS (
        SELECT g.region_code, r.city_code, g.grassland_type, g.grade, g.area_m2, g.hay_yield_kg_per_ha
        FROM read_parquet($grassland) g JOIN regions r ON r.region_code = g.region_code
        WHERE g.exclusion_reason IS NULL
    ),
    grass_keys AS (SELECT DISTINCT region_code, city_code, grassland_type, grade FROM grass),
    grass_prices AS (
        SELECT k.region_code, k.grassland_type, k.grade, p.unit, {grass_key_value} AS key_value
        FROM grass_keys k CROSS JOIN province v
        JOIN read_parquet($grassland_prices) p
          ON p.region_code IN (k.region_code, k.city_code, v.province_code)
         AND p.grassland_type = k.grassland_type AND p.grade = CAST(k.grade AS VARCHAR)
        QUALIFY row_number() OVER (
            PARTITION BY k.region_code, k.grassland_type, k.grade
            ORDER BY CASE WHEN p.region_code = k.region_code THEN 1 WHEN p.region_code = k.city_code THEN 2 ELSE 3 END) = 1
    ),
    grass_rows AS (
        SELECT 'grassland' AS category, g.region_code, g.grassland_type AS item_code, {grass_area} AS area_m2,
               {hay} AS hay_t,
               NULL::DECIMAL(18, 10) AS redline_share, NULL::DECIMAL(18, 10) AS farmland_share,
               NULL::DECIMAL(18, 10) AS protected_share,
               CASE WHEN gp.unit IN ({units}) THEN {grass_value} END AS value_yuan
        FROM grass g LEFT JOIN grass_prices gp USING (region_code, grassland_type, grade)
    ),
    all_rows AS (SELECT * FROM land_rows UNION ALL BY NAME SELECT * FROM grass_rows),
    -- the exercising subject: the rule for the item, else the category's rule
    county_sums AS (
        SELECT a.category, a.region_code, a.item_code, coalesce(ri.subject, rc.subject) AS subject,
               sum(a.area_m2) AS area_m2, sum(a.hay_t) AS hay_t, sum(a.value_yuan) AS value_yuan,
               count(a.value_yuan) AS rows_valued,
               {memo_sums}
        FROM all_rows a
        LEFT JOIN read_parquet($exercising_subject_rules) ri ON ri.category = a.category AND ri.item_code = a.item_code
        LEFT JOIN read_parquet($exercising_subject_rules) rc ON rc.category = a.category AND rc.item_code = '*'
        GROUP BY ALL
    ),
    -- the ledgers' cells per county (part: the cell itself or its "of which" memo), published by rounding half-up
    county_cells AS (
        {cells}
    ),
    county_pub AS (SELECT *, round(exact, 2) AS published FROM county_cells),
    city_pub AS (
        SELECT c.ledger, c.part, c.category, c.item_code, c.subject, c.measure, d.parent_code AS region_code,
               sum(c.exact) AS exact, sum(c.published) AS published
        FROM county_pub c JOIN divisions d USING (region_code) GROUP BY ALL
    ),
    province_pub AS (
        SELECT c.ledger, c.part, c.category, c.item_code, c.subject, c.measure, d.parent_code AS region_code,
               sum(c.exact) AS exact, sum(c.published) AS published
        FROM city_pub c JOIN divisions d USING (region_code) GROUP BY ALL
    )
    SELECT ledger, part, category, region_code, item_code, subject, measure, published, exact FROM county_pub
    UNION ALL SELECT ledger, part, category, region_code, item_code, subject, measure, published, exact FROM city_pub
    UNION ALL SELECT ledger, part, category, region_code, item_code, subject, measure, published, exact FROM province_pub
    """


BARE_REFERENCES = (
    "admin_divisions",
    "land_classes",
    "land_base_prices",
    "land_parameters",
    "land_plot_ratio_corrections",
    "land_date_corrections",
    "supply_methods",
    "grassland_prices",
    "exercising_subject_rules",
)


def child_bare_duckdb(paths: Paths, exact: bool = True) -> dict:
    """Baseline g: one statement for the ledgers on a default DuckDB connection (all cores, default memory
    limit); then, for g (exact) only, the valued rows of land and grassland with their audit trail on the same
    connection (write_bare_valued). g2 (DOUBLE) computes the ledgers only."""
    import duckdb

    layout = layout_of(paths.output(PARQUET_OUT))
    rows = validated_rows(layout, ("land", "grassland"))
    params = {name: str(layout.reference(name)) for name in BARE_REFERENCES}
    params.update({c: duckdb_source(layout.validated(c)) for c in ("land", "grassland")})
    sql = bare_duckdb_sql(exact)
    started, cpu = time.perf_counter(), cpu_seconds()
    con = duckdb.connect()
    records = con.execute(sql, params).fetchall()
    ledgers_s, ledgers_cpu = time.perf_counter() - started, cpu_seconds() - cpu
    details = {"cpu_s": ledgers_cpu, "cells": len(records)}
    if exact:
        out_dir = fresh_dir(paths.output(BASELINE_ROWS_OUT["g"]))
        files = [write_bare_valued(con, layout, c, out_dir) for c in ("land", "grassland")]
        details.update(ledgers_only_s=ledgers_s, ledgers_only_cpu_s=ledgers_cpu)
        details.update(cpu_s=cpu_seconds() - cpu, valued_rows_s=time.perf_counter() - started - ledgers_s)
        details["steps"] = {
            "ledgers part (f and g measured only this before 2026-12-07)": ledgers_s,
            "valued rows written": details["valued_rows_s"],
        }
    seconds = time.perf_counter() - started
    details["check"] = compare_with_pipeline(layout, records)
    if exact:
        details["valued_check"] = compare_valued_rows(paths, files)
    return {"rows": rows, "wall_s": seconds, "details": details}


BARE_MACROS = (  # the pipeline's exact products (assets_pipeline/infra/duck.py), which the models call
    "CREATE OR REPLACE MACRO dec_mul(a, b) AS "
    "CAST(CAST(a AS DECIMAL(38, 10)) * CAST(b AS DECIMAL(38, 12)) AS DECIMAL(38, 10))",
    "CREATE OR REPLACE MACRO row_value(quantity, unit_value) AS "
    "CAST(CAST(quantity AS DECIMAL(18, 2)) * CAST(unit_value AS DECIMAL(38, 10)) AS DECIMAL(38, 12))",
)
BARE_MODEL_REFERENCES = BARE_REFERENCES  # the snapshots the land and grassland models and the subject rules read
# what the pipeline's inventory view adds where the validated rows lack it (valuation/models.py register_inventory)
BARE_INVENTORY_DEFAULTS = {
    "land": {"consistency_findings": "NULL::VARCHAR", "consistency_exclusion": "NULL::VARCHAR"},
    "grassland": {
        "consistency_findings": "NULL::VARCHAR",
        "consistency_exclusion": "NULL::VARCHAR",
        **{
            c: "NULL::DECIMAL(18, 10)"
            for c in ("redline_share", "farmland_share", "protected_share", "core_share", "urban_share")
        },
        "base_parcel_id": "NULL::VARCHAR",
        "base_link": "'delivered'",
        "consistency_action": "NULL::VARCHAR",
        "delivered_area_m2": "CAST(area_m2 AS DECIMAL(18, 2))",
    },
}


def write_bare_valued(con, layout, category: str, out_dir: Path) -> Path:
    """A category's valued rows with plain DuckDB: views over the snapshots and the validated parts, the
    category's model (valuation_models/<category>.sql, read as it is), written by bare_valued_rows.sql."""
    if not con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'regions'").fetchone()[0]:
        for statement in BARE_MACROS:
            con.execute(statement)
        for name in BARE_MODEL_REFERENCES:
            con.execute(f"CREATE TEMP VIEW ref_{name} AS SELECT * FROM read_parquet('{layout.reference(name)}')")
        con.execute((BENCH_DIR / "bare_regions.sql").read_text(encoding="utf-8"))
        province = con.execute("SELECT region_code FROM ref_admin_divisions WHERE level = 'province'").fetchone()[0]
        con.execute("SET VARIABLE province_code = $p", {"p": province})
    source = duckdb_source(layout.validated(category))
    if category == "land":
        # the survey with its zone shares (DOMAIN §6): the pipeline's view, from the overlay's zone areas where it
        # ran, else from the delivered zone areas
        from assets_pipeline.consistency.overlay_inputs import register_zone_areas

        con.execute(f"CREATE OR REPLACE TEMP VIEW survey_rows AS SELECT * FROM read_parquet('{source}')")
        register_zone_areas(con, layout, "survey_rows", "inventory_rows")
    else:
        con.execute(f"CREATE OR REPLACE TEMP VIEW inventory_rows AS SELECT * FROM read_parquet('{source}')")
    present = {row[0] for row in con.execute("DESCRIBE inventory_rows").fetchall()}
    extra = "".join(f", {v} AS {c}" for c, v in BARE_INVENTORY_DEFAULTS[category].items() if c not in present)
    con.execute(f"CREATE OR REPLACE TEMP VIEW inventory AS SELECT *{extra} FROM inventory_rows")
    if category == "land":
        # the land model (1.7.0) reads the overlay's price levels (DOMAIN §6): the same view as the pipeline's, empty
        # where the overlay has not run (stage c values from a's validated rows, without the overlay)
        from assets_pipeline.consistency.overlay_inputs import register_price_weights

        register_price_weights(con, layout)
    model = (PROJECT_DIR / "valuation_models" / f"{category}.sql").read_text(encoding="utf-8")
    con.execute(f"CREATE OR REPLACE TEMP VIEW model_rows AS {model}")
    path = out_dir / f"{category}.parquet"
    copy = (BENCH_DIR / "bare_valued_rows.sql").read_text(encoding="utf-8").format(path=path)
    con.execute(copy, {"model": category, "version": model_version(category), "year": YEAR})
    return path


def cpu_seconds() -> float:
    """User + system CPU time of this process so far (both cores count)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child_audit_write_floor(paths: Paths) -> dict:
    """Stage c2: the valued files stage c' wrote (land and grassland, every row with its audit trail), read and
    written again with the pipeline's COPY options, unordered, no model: what writing the audit trail alone costs.

    The baselines f and g publish the ledgers only; c' must also write these files (per input row, the value with
    its price table, key, level, unit price, factors, model and version). On two cores c' cannot take less than
    g's work and this write overlapped perfectly: (CPU of g + CPU of c2) / 2, less the part of c2 that reads the
    files back (about a quarter of its CPU at 10 million parcels).
    """
    import duckdb

    from assets_pipeline.infra.duck import connect, sql_path

    layout = layout_of(paths.output(LIKE_FOR_LIKE_OUT))
    files = [layout.valued(c) for c in ("land", "grassland")]
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        raise SystemExit(f"run stage c first: {', '.join(missing)} missing")
    rows = (
        duckdb.connect()
        .execute("SELECT count(*) FROM read_parquet($p)", {"p": [str(f) for f in files]})
        .fetchall()[0][0]
    )
    scratch = fresh_dir(paths.output(AUDIT_WRITE_OUT))
    started, cpu = time.perf_counter(), cpu_seconds()
    with connect(scratch / "duckdb_tmp") as con:
        for f in files:
            con.execute(
                f"COPY (SELECT * FROM read_parquet('{sql_path(f)}')) TO '{sql_path(scratch / f.name)}' "
                "(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)"
            )
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    return {"rows": rows, "wall_s": seconds, "details": {"cpu_s": cpu, "bytes": sum(f.stat().st_size for f in files)}}


MEMO_PARTS = ("redline", "farmland", "protected")


def pipeline_cells(layout) -> dict:
    """Every land and grassland cell of the pipeline's ledger_physical and ledger_value (stage c), keyed like the
    baselines' rows: (ledger, part, category, region_code, item_code, subject, measure) -> (published, exact)."""
    import duckdb

    con = duckdb.connect()
    cells = {}
    for ledger, path, measure, published in (
        ("physical", layout.ledger_physical, "indicator", "quantity{m}"),
        ("value", layout.ledger_value, "component", "value{m}_wan_yuan"),
    ):
        for part in ("ledger",) + MEMO_PARTS:
            column = published.format(m="" if part == "ledger" else f"_{part}")
            if ledger == "physical" and part != "ledger":
                column = f"quantity_{part}"
            rows = con.execute(
                f"SELECT category, region_code, item_code, subject, {measure}, {column}, {column}_unrounded "
                "FROM read_parquet($p) WHERE category IN ('land', 'grassland')",
                {"p": str(path)},
            ).fetchall()
            for category, region, item, subject, m, pub, exact in rows:
                cells[(ledger, part, category, region, item, subject, m)] = (pub, exact)
    return cells


def compare_with_pipeline(layout, records) -> dict:
    """The baseline's cells against every land and grassland cell of the pipeline's ledgers (stage c): the
    published figure (2 decimals) must be equal, the unrounded one within 0.01 元."""
    if not (layout.ledger_value.exists() and layout.ledger_physical.exists()):
        return {"compared": False, "reason": f"{layout.ledger_value} missing (run stage c first)"}
    theirs = pipeline_cells(layout)
    ours = {tuple(r[:7]): (r[7], r[8]) for r in records}
    common = theirs.keys() & ours.keys()
    diffs = [abs(float(ours[k][1]) - float(theirs[k][1] or 0)) for k in common]
    exact = sum(1 for k in common if ours[k][1] == theirs[k][1])
    published = sum(1 for k in common if round(float(ours[k][0]), 2) == float(theirs[k][0] or 0))
    return {
        "compared": True,
        "pipeline_cells": len(theirs),
        "baseline_cells": len(ours),
        "only_in_pipeline": len(theirs.keys() - ours.keys()),
        "only_in_baseline": len(ours.keys() - theirs.keys()),
        "max_abs_diff_wan_yuan": max(diffs, default=0.0),
        "exactly_equal_cells": exact,
        "published_equal_cells": published,
        "match": (
            len(common) == len(theirs) == len(ours)
            and published == len(common)
            and max(diffs, default=0.0) <= MATCH_TOLERANCE_WAN_YUAN
        ),
    }


VALUED_TOLERANCE_YUAN = 0.01  # per county, the sum of value_yuan must equal the pipeline's to 0.01 元


def compare_valued_rows(paths: Paths, files: list[Path]) -> dict:
    """A baseline's valued files against the pipeline's (stage c', else stage c), per category: the columns'
    names and order, their types, the row count, the sum of value_yuan per county (within 0.01 元) and, row by
    row in file order (so the order is checked too), every column: text and integers equal, numbers within
    10⁻⁶ (relative above 1)."""
    import duckdb

    con = duckdb.connect()
    result = {}
    for path in files:
        category = path.stem
        theirs = next(
            (layout_of(paths.output(o)).valued(category) for o in (LIKE_FOR_LIKE_OUT, PARQUET_OUT)
             if layout_of(paths.output(o)).valued(category).exists()),
            None,
        )  # fmt: skip
        if theirs is None:
            result[category] = {"compared": False, "reason": "no valued file of the pipeline (run stage c first)"}
            continue
        p, b = (f"read_parquet('{f}')" for f in (theirs, path))
        p_types, b_types = (dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {x})").fetchall())
                            for x in (p, b))  # fmt: skip
        p_rows, b_rows = (con.execute(f"SELECT count(*) FROM {x}").fetchone()[0] for x in (p, b))
        sums = "(SELECT region_code, sum(value_yuan)::DOUBLE AS v FROM {} GROUP BY 1)"
        counties_differ, max_county_diff = con.execute(
            f"SELECT count(*) FILTER (WHERE d IS NULL OR d > {VALUED_TOLERANCE_YUAN}), coalesce(max(d), 0) FROM "
            f"(SELECT CASE WHEN x.v IS NOT DISTINCT FROM y.v THEN 0 ELSE abs(x.v - y.v) END AS d "
            f"FROM {sums.format(p)} x FULL JOIN {sums.format(b)} y USING (region_code))"
        ).fetchone()
        common = [c for c in p_types if c in b_types]
        differing = {}
        if p_rows == b_rows and common:
            tests = [f"count(*) FILTER (WHERE ({valued_differs(c, p_types[c], b_types[c])}))" for c in common]
            counts = con.execute(
                f"SELECT {', '.join(tests)} FROM (SELECT * FROM {p}) x POSITIONAL JOIN (SELECT * FROM {b}) y"
            ).fetchone()
            differing = {c: n for c, n in zip(common, counts, strict=True) if n}
        result[category] = {
            "compared": True,
            "pipeline_file": str(theirs),
            "same_columns_in_order": list(p_types) == list(b_types),
            "missing_columns": [c for c in p_types if c not in b_types],
            "types_differ": {c: [p_types[c], b_types[c]] for c in common if p_types[c] != b_types[c]},
            "pipeline_rows": p_rows,
            "baseline_rows": b_rows,
            "counties_value_differ": counties_differ,
            "max_county_value_diff_yuan": max_county_diff,
            "columns_compared": len(common) if p_rows == b_rows else 0,
            "rows_differ_by_column": differing,
            "match": p_rows == b_rows and counties_differ == 0 and list(p_types) == list(b_types),
            "all_columns_equal": p_rows == b_rows and not differing and list(p_types) == list(b_types),
        }
    return result


NUMERIC_TYPES = ("DECIMAL", "DOUBLE", "FLOAT")


def valued_differs(column: str, p_type: str, b_type: str) -> str:
    """SQL that is true where the pipeline's value (x) and the baseline's (y) of a column differ."""
    x, y = f'x."{column}"', f'y."{column}"'
    if p_type.startswith(NUMERIC_TYPES) and b_type.startswith(NUMERIC_TYPES):
        x, y = f"{x}::DOUBLE", f"{y}::DOUBLE"
        return f"({x} IS NULL) <> ({y} IS NULL) OR abs({x} - {y}) > 1e-6 * greatest(1, abs({x}))"
    return f"{x}::VARCHAR IS DISTINCT FROM {y}::VARCHAR"


CHILD_STAGES = {
    "generate_parquet": lambda p: child_generate(p, "parquet"),
    "generate_csv": lambda p: child_generate(p, "csv"),
    "a_ingest_validate_parquet": lambda p: child_ingest_validate(p, "parquet", PARQUET_OUT),
    "b_ingest_validate_csv": lambda p: child_ingest_validate(p, "csv", CSV_OUT),
    "c_valuation_all": child_valuation_all,
    "c_valuation_land_grassland": child_valuation_land_grassland,
    "c_audit_write_floor": child_audit_write_floor,
    "e_pipeline_validation_land": child_pipeline_land_validation,
    "e_plain_validation_land": child_plain_validation,
    "f_plain_pandas_valuation": child_plain_valuation,
    "g_bare_duckdb": child_bare_duckdb,
    "g_bare_duckdb_double": lambda p: child_bare_duckdb(p, exact=False),
}


def child_main(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(PROJECT_DIR))
    paths = Paths(Path(args.work_dir).resolve(), args.parcels)
    figures = CHILD_STAGES[args.child](paths)
    Path(args.child_result).write_text(json.dumps(figures, default=str, ensure_ascii=False), encoding="utf-8")
    return 0


# ---------------------------------------------------------------------------------------------------------------
# Stage d: the whole year through Dagster
# ---------------------------------------------------------------------------------------------------------------

STEP_LINE = re.compile(r"^\s+(ok|FAIL)\s+(\S+)\s+([\d.]+) s$")
DONE_LINE = re.compile(r"^Done in ([\d.]+) s\.")
SUMMARY_LINE = re.compile(r"^(\w+)\s+([\d,]+)\s+([\d,]+)\s+([\d,]+)\s+([\d,]+)$")


def nrledger_command() -> list[str]:
    script = Path(sys.executable).with_name("nrledger")
    return [str(script)] if script.exists() else [sys.executable, "-m", "assets_pipeline.cli"]


def run_dagster_job(paths: Paths, args: argparse.Namespace) -> Measurement:
    """``nrledger run`` on the Parquet province, with a throw-away DAGSTER_HOME."""
    label = "d. whole job through Dagster (nrledger run)"
    out = fresh_dir(paths.output(DAGSTER_OUT))
    print(f"  running {label} …", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="nrledger-bench-dagster-home-") as home:
        cmd = nrledger_command() + [
            "run",
            "--year",
            str(YEAR),
            "--input-dir",
            str(paths.province("parquet")),
            "--output-dir",
            str(out),
        ]
        m = run_measured(cmd, paths.log("d_dagster_job"), args.rss_limit_mib, env={**os.environ, "DAGSTER_HOME": home})
    m.stage, m.label = "d_dagster_job", label
    m.details["command"] = " ".join(cmd[:1] + ["run", "--year", str(YEAR), "--input-dir", "…", "--output-dir", "…"])
    parse_job_log(m, paths.log("d_dagster_job"))
    if not m.ok:
        print(f"  ! {label}: {describe_failure(m)}; log: {paths.log('d_dagster_job')}", file=sys.stderr, flush=True)
        m.details["log_tail"] = tail(paths.log("d_dagster_job"))
    return m


def parse_job_log(m: Measurement, log: Path) -> None:
    """Step times, the run time and the rows read, from what ``nrledger run`` prints."""
    steps, rows = [], 0
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if step := STEP_LINE.match(line):
            steps.append({"step": step.group(2), "status": step.group(1), "seconds": float(step.group(3))})
        elif done := DONE_LINE.match(line):
            m.wall_s = float(done.group(1))
        elif (summary := SUMMARY_LINE.match(line)) and summary.group(1) != "category":
            rows += int(summary.group(2).replace(",", ""))
    m.rows = rows or None
    m.details["steps"] = steps


# ---------------------------------------------------------------------------------------------------------------
# The run: inputs, stages in order, table, ratios, targets, JSON
# ---------------------------------------------------------------------------------------------------------------


def ensure_province(paths: Paths, fmt: str, args: argparse.Namespace) -> Measurement | None:
    """Generate the province unless --reuse and a complete one is there; the generation is measured too."""
    folder = paths.province(fmt)
    if args.reuse and (folder / ".complete").exists():
        print(f"  reusing {folder}", file=sys.stderr, flush=True)
        return None
    return run_child(f"generate_{fmt}", f"generate {fmt} province", paths, args)


def run_stages(paths: Paths, stages: str, args: argparse.Namespace, with_csv: bool = True) -> list[Measurement]:
    """The selected stages at one size, one after another."""
    done: list[Measurement] = []

    def child(stage: str, label: str) -> None:
        done.append(run_child(stage, label, paths, args))

    for fmt in ("parquet",) + (("csv",) if with_csv and "b" in stages else ()):
        if generated := ensure_province(paths, fmt, args):
            done.append(generated)
            if not generated.ok:
                raise SystemExit(f"could not generate the {fmt} province")
    if "a" in stages:
        child("a_ingest_validate_parquet", "a. ingest + validate, Parquet, 6 categories")
    if "b" in stages:
        child("b_ingest_validate_csv", "b. ingest + validate, CSV, 6 categories")
    if "c" in stages:
        child("c_valuation_all", "c. valuation of 6 categories + ledgers")
        child("c_valuation_land_grassland", "c'. valuation land + grassland + their ledgers")
        child("c_audit_write_floor", "c2. c' valued files written again alone (no model, no sort)")
    if "d" in stages:
        done.append(run_dagster_job(paths, args))
    if "e" in stages:
        child("e_pipeline_validation_land", "e'. pipeline validation, land only (batches)")
        child("e_plain_validation_land", "e. plain validation, land in one DataFrame")
    if "f" in stages:
        child("f_plain_pandas_valuation", "f. plain pandas, land + grassland: ledgers + valued rows")
    if "g" in stages:
        child("g_bare_duckdb", "g. bare DuckDB, land + grassland: ledgers + valued rows")
        child("g_bare_duckdb_double", "g2. g's ledger statement in DOUBLE (no valued rows)")
    return done


def fmt_num(value, spec: str, missing: str = "—") -> str:
    return missing if value is None else format(value, spec)


def print_table(title: str, measurements: list[Measurement]) -> None:
    print(f"\n{title}")
    header = f"{'stage':<54} {'rows':>12} {'wall s':>8} {'proc s':>8} {'max proc MiB':>13} {'tree MiB':>9}  note"
    print(header)
    print("-" * len(header))
    for m in measurements:
        note = "" if m.ok else describe_failure(m)
        if check := m.details.get("check"):
            note = (note + "; " if note else "") + describe_check(check)
        if valued := m.details.get("valued_check"):
            note += "; " + describe_valued_check(valued)
        print(
            f"{m.label:<54} {fmt_num(m.rows, ',d'):>12} {fmt_num(m.wall_s, '.1f'):>8} {fmt_num(m.process_s, '.1f'):>8} "
            f"{fmt_num(m.peak_rss_mib, ',.0f'):>13} {fmt_num(m.tree_rss_peak_mib, ',.0f'):>9}  {note}"
        )
        for c in m.details.get("categories", []):
            print(
                f"{'    ' + c['category']:<54} {c['rows']:>12,d} {c['wall_s']:>8.1f} {'':>8} {c['peak_rss_mib']:>13,.0f} "
                f"{c['tree_rss_peak_mib']:>9,.0f}  "
                f"ingest {c['ingest_s']:.1f} s + validate {c['validate_s']:.1f} s; valid {c['valid']:,}, "
                f"excluded {c['excluded']:,}, rejected {c['rejected']:,} (RSS sampled)"
            )
        steps = m.details.get("steps")
        for step, seconds in steps.items() if isinstance(steps, dict) else ():  # stage d's steps: print_job_steps
            print(f"{'    ' + step:<54} {'':>12} {seconds:>8.1f}")


def describe_check(check: dict) -> str:
    if not check.get("compared"):
        return f"not compared: {check.get('reason')}"
    verdict = "MATCH" if check["match"] else "DIFFER"
    return (
        f"{verdict} with pipeline ledgers: {check['baseline_cells']}/{check['pipeline_cells']} cells, "
        f"max |diff| {check['max_abs_diff_wan_yuan']:.2e} 万元, published equal {check['published_equal_cells']}"
    )


def describe_valued_check(checks: dict) -> str:
    """One line for a baseline's valued files against the pipeline's."""
    parts = []
    for category, c in checks.items():
        if not c.get("compared"):
            parts.append(f"{category} not compared: {c.get('reason')}")
            continue
        verdict = "ALL COLUMNS EQUAL" if c["all_columns_equal"] else "MATCH" if c["match"] else "DIFFER"
        columns = "same columns in order" if c["same_columns_in_order"] else "COLUMNS DIFFER"
        types = f", {len(c['types_differ'])} types differ" if c["types_differ"] else ""
        rows = ", rows differ in " + ", ".join(c["rows_differ_by_column"]) if c["rows_differ_by_column"] else ""
        parts.append(
            f"{category} rows {verdict}: {c['baseline_rows']:,}/{c['pipeline_rows']:,} rows, {columns}{types}, "
            f"{c['counties_value_differ']} counties' value differ (max {c['max_county_value_diff_yuan']:.1e} 元){rows}"
        )
    return "; ".join(parts)


def print_job_steps(m: Measurement) -> None:
    steps = m.details.get("steps") or []
    if not steps:
        return
    print(f"\nd. steps printed by nrledger run ({len(steps)} steps, sum {sum(s['seconds'] for s in steps):.1f} s)")
    for s in sorted(steps, key=lambda s: -s["seconds"]):
        print(f"    {s['status']:<4} {s['step']:<40} {s['seconds']:>7.1f} s")


def ratio(a, b):
    return a / b if a is not None and b else None


def floor_seconds(by_stage: dict[str, dict]) -> float | None:
    """About the least wall time c' could take on two cores: the CPU time of g's ledgers part (the same values and ledgers) and of
    c2 (writing the valued files alone, reading them back included), overlapped perfectly."""
    g, c2 = (by_stage.get(s, {}).get("details", {}) for s in ("g_bare_duckdb", "c_audit_write_floor"))
    cpus = [g.get("ledgers_only_cpu_s", g.get("cpu_s")), c2.get("cpu_s")]
    return None if None in cpus else sum(cpus) / 2


def ratios(by_stage: dict[str, dict]) -> dict:
    """Speed-ups and ratios between the pipeline and the baselines (None where a figure is missing)."""

    def wall(stage):
        return by_stage.get(stage, {}).get("wall_s")

    def rss(stage):
        return by_stage.get(stage, {}).get("peak_rss_mib")

    def tree(stage):
        return by_stage.get(stage, {}).get("tree_rss_peak_mib")

    def ledgers_only(stage):  # the baselines' figure without the valued rows (all there was before 2026-12-07)
        details = by_stage.get(stage, {}).get("details", {})
        return details.get("ledgers_only_s", wall(stage) if "valued_check" not in details else None)

    lfl, allc = "c_valuation_land_grassland", "c_valuation_all"
    f, g = "f_plain_pandas_valuation", "g_bare_duckdb"
    return {
        "valuation_speedup_vs_plain_pandas_ledgers_only": ratio(ledgers_only(f), wall(lfl)),
        "valuation_time_ratio_vs_bare_duckdb_ledgers_only": ratio(wall(lfl), ledgers_only(g)),
        "valuation_speedup_vs_plain_pandas_like_for_like": ratio(wall("f_plain_pandas_valuation"), wall(lfl)),
        "valuation_speedup_vs_plain_pandas_all_six": ratio(wall("f_plain_pandas_valuation"), wall(allc)),
        "valuation_time_ratio_vs_bare_duckdb_like_for_like": ratio(wall(lfl), wall("g_bare_duckdb")),
        "valuation_time_ratio_vs_bare_duckdb_all_six": ratio(wall(allc), wall("g_bare_duckdb")),
        "valuation_time_ratio_vs_bare_duckdb_double_like_for_like": ratio(wall(lfl), wall("g_bare_duckdb_double")),
        "audit_write_floor_ratio_vs_bare_duckdb": ratio(wall("c_audit_write_floor"), ledgers_only(g)),
        "like_for_like_floor_s": floor_seconds(by_stage),
        "validation_time_ratio_pipeline_vs_plain": ratio(
            wall("e_pipeline_validation_land"), wall("e_plain_validation_land")
        ),
        "validation_rss_ratio_pipeline_vs_plain": ratio(
            rss("e_pipeline_validation_land"), rss("e_plain_validation_land")
        ),
        "validation_tree_rss_ratio_pipeline_vs_plain": ratio(
            tree("e_pipeline_validation_land"), tree("e_plain_validation_land")
        ),
    }


def print_ratios(r: dict) -> None:
    lines = [
        (
            "valuation + ledgers: plain pandas time / pipeline time (land+grassland, like for like: valued rows too)",
            r["valuation_speedup_vs_plain_pandas_like_for_like"],
            "×",
        ),
        (
            "valuation + ledgers: plain pandas (land+grassland) / pipeline (all 6 categories)",
            r["valuation_speedup_vs_plain_pandas_all_six"],
            "×",
        ),
        (
            "valuation + ledgers: pipeline time / bare DuckDB time (land+grassland, like for like: valued rows too)",
            r["valuation_time_ratio_vs_bare_duckdb_like_for_like"],
            "×",
        ),
        (
            "history: plain pandas, its ledgers part only / pipeline (c'); f measured only that before 2026-12-07",
            r.get("valuation_speedup_vs_plain_pandas_ledgers_only"),
            "×",
        ),
        (
            "history: pipeline (c') / bare DuckDB, its ledgers part only; g measured only that before 2026-12-07",
            r.get("valuation_time_ratio_vs_bare_duckdb_ledgers_only"),
            "×",
        ),
        (
            "valuation + ledgers: pipeline (all 6 categories) / bare DuckDB (land+grassland)",
            r["valuation_time_ratio_vs_bare_duckdb_all_six"],
            "×",
        ),
        (
            "valuation + ledgers: pipeline time (c') / bare DuckDB ledger statement in DOUBLE (g2, no valued rows)",
            r["valuation_time_ratio_vs_bare_duckdb_double_like_for_like"],
            "×",
        ),
        (
            "writing the valued files alone (c2) / bare DuckDB ledgers part (the audit trail's floor)",
            r.get("audit_write_floor_ratio_vs_bare_duckdb"),
            "×",
        ),
        (
            "about the least c' could take on 2 cores: (CPU of g's ledgers part + CPU of c2) / 2, seconds",
            r.get("like_for_like_floor_s"),
            "",
        ),
        ("land validation: pipeline time / plain time", r["validation_time_ratio_pipeline_vs_plain"], "×"),
        (
            "land validation: pipeline peak RSS / plain peak RSS (largest process)",
            r["validation_rss_ratio_pipeline_vs_plain"],
            "×",
        ),
        (
            "land validation: pipeline peak RSS / plain peak RSS (process tree)",
            r.get("validation_tree_rss_ratio_pipeline_vs_plain"),
            "×",
        ),
    ]
    print("\nRatios")
    for label, value, unit in lines:
        print(f"  {label:<104} {fmt_num(value, '.2f')}{unit if value is not None else ''}")


def targets(by_stage: dict[str, dict], r: dict) -> list[dict]:
    """The project's stated targets, each with its figure and whether it is met (None: not measured)."""
    a, d = by_stage.get("a_ingest_validate_parquet", {}), by_stage.get("d_dagster_job", {})

    def verdict(name, figure, limit, met):
        return {"target": name, "figure": figure, "limit": limit, "met": None if figure is None else met(figure, limit)}

    below = lambda figure_, limit_: figure_ < limit_  # noqa: E731
    return [
        verdict("Parquet ingest + validate, wall s (work)", a.get("wall_s"), TARGET_INGEST_VALIDATE_S, below),
        verdict(
            "Parquet ingest + validate, peak RSS MiB (largest process)",
            a.get("peak_rss_mib"),
            TARGET_INGEST_VALIDATE_RSS_MIB,
            below,
        ),
        verdict(
            "Parquet ingest + validate, peak RSS MiB (process tree)",
            a.get("tree_rss_peak_mib"),
            TARGET_INGEST_VALIDATE_RSS_MIB,
            below,
        ),
        verdict("whole job through Dagster, wall s (process)", d.get("process_s"), TARGET_JOB_S, below),
        verdict(
            "whole job through Dagster, peak RSS MiB of any process", d.get("peak_rss_mib"), TARGET_JOB_RSS_MIB, below
        ),
        verdict(
            "valuation + ledgers speed-up vs plain pandas (like for like)",
            r["valuation_speedup_vs_plain_pandas_like_for_like"],
            TARGET_SPEEDUP_VS_PANDAS,
            lambda figure_, limit_: figure_ >= limit_,
        ),
        verdict(
            "valuation + ledgers time / bare DuckDB (like for like)",
            r["valuation_time_ratio_vs_bare_duckdb_like_for_like"],
            TARGET_RATIO_VS_DUCKDB,
            lambda figure_, limit_: figure_ <= limit_,
        ),
    ]


def print_targets(items: list[dict]) -> None:
    print("\nTargets")
    for t in items:
        state = {True: "met", False: "MISSED", None: "not measured"}[t["met"]]
        print(f"  {t['target']:<64} {fmt_num(t['figure'], '.2f'):>9}  (limit {t['limit']:g})  {state}")


def scale_check(paths: Paths, args: argparse.Namespace, base: dict[str, dict]) -> dict:
    """Stage a and baseline e again at SCALE_FACTOR × N: how peak RSS grows with the province."""
    big = Paths(paths.work_dir, paths.parcels * SCALE_FACTOR)
    measured = run_stages(big, "ae", args, with_csv=False)
    print_table(f"Scale check at {big.parcels:,} parcels", measured)
    by_stage = {m.stage: asdict(m) for m in measured}
    growth = {
        stage: stage_growth(base.get(stage, {}), by_stage.get(stage, {}))
        for stage in ("a_ingest_validate_parquet", "e_pipeline_validation_land", "e_plain_validation_land")
    }
    print_growth(growth, paths.parcels, big.parcels)
    a = growth["a_ingest_validate_parquet"]
    met = {
        kind: None if a[f"{kind}_growth"] is None else a[f"{kind}_growth"] <= TARGET_SCALE_RSS_GROWTH
        for kind in ("rss", "tree_rss")
    }
    for kind, text in (("rss", "largest process"), ("tree_rss", "process tree")):
        print(
            f"  pipeline (stage a) peak RSS growth within {TARGET_SCALE_RSS_GROWTH:.2f}× ({text}): "
            f"{ {True: 'met', False: 'MISSED', None: 'not measured'}[met[kind]] }"
        )
    return {
        "parcels": big.parcels,
        "stages": by_stage,
        "growth": growth,
        "pipeline_growth_met": met["rss"],
        "pipeline_tree_growth_met": met["tree_rss"],
    }


def stage_growth(small: dict, large: dict) -> dict:
    """Peak RSS (both kinds) and wall time of one stage at 3N against N."""
    if large.get("exit_code") not in (0, None) and not large.get("killed_over_limit"):
        large = {}  # a stage that failed has no peak to compare (one killed at the limit gives a lower bound)
    growth = {
        "wall_growth": ratio(large.get("wall_s"), small.get("wall_s")),
        "large_killed_over_limit": large.get("killed_over_limit", False),
    }
    for kind, key in (("rss", "peak_rss_mib"), ("tree_rss", "tree_rss_peak_mib")):
        growth[f"{kind}_small_mib"], growth[f"{kind}_large_mib"] = small.get(key), large.get(key)
        growth[f"{kind}_growth"] = ratio(large.get(key), small.get(key))
    return growth


def print_growth(growth: dict, small: int, large: int) -> None:
    print(f"\nPeak RSS growth {large:,} / {small:,} parcels (pipeline target ≤ {TARGET_SCALE_RSS_GROWTH:.2f}×)")
    for stage, g in growth.items():
        lower = " (at least: killed at the RSS limit)" if g["large_killed_over_limit"] else ""
        print(
            f"  {stage:<28} max proc {fmt_num(g['rss_small_mib'], ',.0f'):>6} → {fmt_num(g['rss_large_mib'], ',.0f'):>6} MiB "
            f"×{fmt_num(g['rss_growth'], '.2f')}   tree {fmt_num(g['tree_rss_small_mib'], ',.0f'):>6} → "
            f"{fmt_num(g['tree_rss_large_mib'], ',.0f'):>6} MiB ×{fmt_num(g['tree_rss_growth'], '.2f')}{lower}   "
            f"wall ×{fmt_num(g['wall_growth'], '.2f')}"
        )


def machine() -> dict:
    import psutil

    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / (1 << 30), 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def save_results(paths: Paths, measured: list[Measurement], scale: dict | None) -> dict:
    """Merge this run's figures into results.json (a stage not run keeps its last figures at the same size)."""
    results = json.loads(paths.results.read_text(encoding="utf-8")) if paths.results.exists() else {}
    runs = results.setdefault("runs", {})
    run = runs.setdefault(str(paths.parcels), {"stages": {}})
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    for m in measured:
        run["stages"][m.stage] = {**asdict(m), "measured_at": stamp}
    run["ratios"] = ratios(run["stages"])
    run["targets"] = targets(run["stages"], run["ratios"])
    if scale:
        results.setdefault("scale_check", {})[str(paths.parcels)] = scale
    results["machine"] = machine()
    results["updated_at"] = stamp
    paths.results.parent.mkdir(parents=True, exist_ok=True)
    paths.results.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    return run


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--parcels", type=int, default=DEFAULT_PARCELS, help="land parcels of the province (default 10,000,000)"
    )
    p.add_argument("--work-dir", default=str(DEFAULT_WORK_DIR), help="inputs, outputs, logs and results.json")
    p.add_argument("--reuse", action="store_true", help="keep an already generated province of the same size")
    p.add_argument("--scale-check", action="store_true", help=f"also run stages a and e at {SCALE_FACTOR}× the parcels")
    p.add_argument(
        "--stages", default=STAGE_KEYS, help="which of a–g to run (default all: abcdefg); c, e, f, g read a's outputs"
    )
    p.add_argument(
        "--rss-limit-mib", type=float, default=20_000, help="kill a stage whose process tree grows past this"
    )
    p.add_argument("--child", choices=sorted(CHILD_STAGES), help=argparse.SUPPRESS)
    p.add_argument("--child-result", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        return child_main(args)
    stages = "".join(k for k in STAGE_KEYS if k in args.stages.replace(",", ""))
    if args.scale_check:
        stages = "".join(sorted(set(stages) | set("ae")))
    paths = Paths(Path(args.work_dir).resolve(), args.parcels)
    print(
        f"nrledger benchmark: {args.parcels:,} parcels, stages {stages}, work dir {paths.work_dir} "
        f"({os.cpu_count()} CPUs)",
        file=sys.stderr,
        flush=True,
    )
    measured = run_stages(paths, stages, args)
    print_table(
        f"Stages at {args.parcels:,} parcels (max proc: largest single process; tree: sum over the process tree)",
        measured,
    )
    for m in measured:
        if m.stage == "d_dagster_job":
            print_job_steps(m)
    base = {m.stage: asdict(m) for m in measured}
    scale = scale_check(paths, args, base) if args.scale_check else None
    run = save_results(paths, measured, scale)
    print_ratios(run["ratios"])
    print_targets(run["targets"])
    print(f"\nFigures written to {paths.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
