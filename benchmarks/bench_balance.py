"""Benchmark of the year-over-year step: balance accounts and land-use transitions, wall time and peak RSS.

Usage (see benchmarks/README.md)::

    .venv/bin/python benchmarks/bench_balance.py [--parcels N] [--work-dir DIR] [--reuse]

Generates a two-year province (``generate_sample(out, [2022, 2023], parcels=N, formats="parquet")``), compiles
both years with the pipeline's own functions (reference snapshot, ingest, validate, value, ledgers — as
run_benchmark.py's stages a and c do), then measures ``balance.build_balance`` and
``balance.build_land_transitions`` for 2023 alone, in a fresh subprocess, with run_benchmark.py's measuring
(wall time timed around the work; peak RSS of the largest process and of the process tree). Prints figures,
asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import run_benchmark as rb  # noqa: E402  (the measuring helpers: run_measured, fresh_dir, Measurement)

YEARS = (2022, 2023)
DEFAULT_PARCELS = 10_000_000
DEFAULT_WORK_DIR = BENCH_DIR / "work" / "balance"


def _paths(work_dir: Path, parcels: int) -> tuple[Path, Path]:
    return work_dir / f"province_{parcels}", work_dir / f"out_{parcels}"


def child_generate(work_dir: Path, parcels: int) -> dict:
    from assets_pipeline.sample.generate import generate_sample

    inputs, _ = _paths(work_dir, parcels)
    rb.fresh_dir(inputs)
    started = time.perf_counter()
    summary = generate_sample(inputs, list(YEARS), parcels=parcels, formats="parquet")
    (inputs / ".complete").write_text("ok", encoding="utf-8")
    return {"rows": sum(sum(r.values()) for r in summary.rows.values()), "wall_s": time.perf_counter() - started}


def child_compile(work_dir: Path, parcels: int) -> dict:
    """Both years up to their ledgers, with the pipeline's functions (workers where the pipeline uses them)."""
    from assets_pipeline.infra.layout import YearLayout
    from assets_pipeline.infra.storage import write_parquet
    from assets_pipeline.ingest.canonical import ingest_category
    from assets_pipeline.ledgers.ledger import build_ledgers
    from assets_pipeline.reference.tables import load_reference
    from assets_pipeline.schema.categories import CATEGORIES
    from assets_pipeline.validate.codes import CodeLists
    from assets_pipeline.validate.rows import validate_category
    from assets_pipeline.valuation.models import value_category

    inputs, out = _paths(work_dir, parcels)
    rb.fresh_dir(out)
    started = time.perf_counter()
    reference = load_reference()
    codes = CodeLists.from_reference(reference)
    rows = 0
    for year in YEARS:
        layout = YearLayout(out, year)
        for name, table in reference.items():
            write_parquet(table.to_arrow(year), layout.reference(name))
        for category in CATEGORIES:
            rows += ingest_category(category, inputs, year, layout.ingested(category)).rows
            validate_category(category, layout, codes)
            value_category(category, layout, layout.valued(category))
        build_ledgers(layout, layout.ledger_physical, layout.ledger_value)
    return {"rows": rows, "wall_s": time.perf_counter() - started}


def child_balance(work_dir: Path, parcels: int) -> dict:
    """The measured step: 2023's balance accounts and transition matrix against 2022."""
    import pyarrow.parquet as pq

    from assets_pipeline.infra.layout import YearLayout
    from assets_pipeline.ledgers.balance import build_balance
    from assets_pipeline.ledgers.transitions import build_land_transitions
    from assets_pipeline.schema.categories import CATEGORIES

    _, out = _paths(work_dir, parcels)
    layout = YearLayout(out, YEARS[1])
    steps = {}
    started = time.perf_counter()
    build_balance(layout, layout.balance_physical, layout.balance_value)
    steps["build_balance"] = time.perf_counter() - started
    t0 = time.perf_counter()
    build_land_transitions(layout, layout.land_transitions)
    steps["build_land_transitions"] = time.perf_counter() - t0
    seconds = time.perf_counter() - started
    rows = sum(pq.read_metadata(YearLayout(out, y).valued(c)).num_rows for y in YEARS for c in CATEGORIES)
    return {"rows": rows, "wall_s": seconds, "details": {"steps": steps}}


CHILDREN = {"generate": child_generate, "compile": child_compile, "balance": child_balance}


def run_child(stage: str, args: argparse.Namespace) -> rb.Measurement:
    return rb.measure_child(
        Path(__file__).resolve(),
        stage,
        stage,
        ["--work-dir", str(args.work_dir), "--parcels", str(args.parcels)],
        Path(args.work_dir) / f"result_{stage}_{args.parcels}.json",
        Path(args.work_dir) / "logs" / f"{stage}_{args.parcels}.log",
        args.rss_limit_mib,
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=DEFAULT_PARCELS)
    parser.add_argument("--work-dir", default=str(DEFAULT_WORK_DIR))
    parser.add_argument(
        "--reuse", action="store_true", help="keep an already generated and compiled province of this size"
    )
    parser.add_argument("--rss-limit-mib", type=float, default=20_000.0)
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--child-result", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work_dir = Path(args.work_dir).resolve()
    if args.child:
        outcome = CHILDREN[args.child](work_dir, args.parcels)
        Path(args.child_result).write_text(json.dumps(outcome), encoding="utf-8")
        return 0
    work_dir.mkdir(parents=True, exist_ok=True)
    inputs, out = _paths(work_dir, args.parcels)
    measured = []
    if not (args.reuse and (inputs / ".complete").exists()):
        measured.append(run_child("generate", args))
    if not (args.reuse and (out / str(YEARS[1]) / "ledger_value.parquet").exists()):
        measured.append(run_child("compile", args))
    if all(m.ok for m in measured):
        measured.append(run_child("balance", args))
    print(f"\nBalance benchmark, {args.parcels:,} parcels, years {YEARS[0]} → {YEARS[1]}")
    print(f"{'step':<10} {'rows':>12} {'wall s':>9} {'proc s':>9} {'max proc MiB':>13} {'tree MiB':>9}")
    for m in measured:
        print(
            f"{m.stage:<10} {rb.fmt_num(m.rows, ',')[:12]:>12} {rb.fmt_num(m.wall_s, '.1f'):>9} "
            f"{rb.fmt_num(m.process_s, '.1f'):>9} {rb.fmt_num(m.peak_rss_mib, ',.0f'):>13} "
            f"{rb.fmt_num(m.tree_rss_peak_mib, ',.0f'):>9}"
        )
    balance = next((m for m in measured if m.stage == "balance"), None)
    if balance is not None and balance.details.get("steps"):
        for step, seconds in balance.details["steps"].items():
            print(f"  {step:<24} {seconds:8.1f} s")
    (work_dir / f"results_{args.parcels}.json").write_text(
        json.dumps([m.__dict__ for m in measured], indent=2, default=str), encoding="utf-8"
    )
    return 0 if all(m.ok for m in measured) else 1


if __name__ == "__main__":
    sys.exit(main())
