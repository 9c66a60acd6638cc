"""Benchmark of the consistency step alone (DOMAIN §2): findings and resolution on N base parcels.

Generates a Parquet province of N base parcels with its linked forest, grassland and wetland inventories
(``generate_sample(out, [2023], parcels=N, formats="parquet")``, inconsistencies planted at the sample's default
share), ingests and validates the four base-map categories (preparation, not measured), then runs
``assets_pipeline.consistency.resolve.run_consistency`` in a child process per policy and prints its wall time and peak
RSS. Helpers (measured child processes, RSS high-water marks, reference snapshots) come from run_benchmark.py.

    .venv/bin/python benchmarks/bench_consistency.py --parcels 200000          # a quick check
    .venv/bin/python benchmarks/bench_consistency.py --reuse                    # 10 million parcels, quiet machine
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run_benchmark as rb  # noqa: E402

FOUR = ("land", "forest", "grassland", "wetland")
POLICIES = ("base-map-wins", "inventory-wins", "reject")


def province_dir(work: Path, parcels: int) -> Path:
    return work / "consistency" / f"parquet_{parcels}"


def child_prepare(work: Path, parcels: int) -> dict:
    """Generate the province and validate its four base-map categories (skipped with --reuse when complete)."""
    from assets_pipeline.ingest.canonical import ingest_category
    from assets_pipeline.reference.tables import load_reference
    from assets_pipeline.sample.generate import generate_sample
    from assets_pipeline.validate.codes import CodeLists
    from assets_pipeline.validate.rows import validate_category

    folder = rb.fresh_dir(province_dir(work, parcels))
    started = time.perf_counter()
    summary = generate_sample(folder / "inputs", [rb.YEAR], parcels=parcels, formats="parquet")
    layout = rb.layout_of(folder / "out")
    rb.snapshot_reference(layout)
    codes = CodeLists.from_reference(load_reference())
    for category in FOUR:
        ingest_category(category, folder / "inputs", rb.YEAR, layout.ingested(category))
        validate_category(category, layout, codes)
    (folder / ".complete").write_text(json.dumps(summary.rows[rb.YEAR]), encoding="utf-8")
    return {"rows": sum(summary.rows[rb.YEAR][c] for c in FOUR), "wall_s": time.perf_counter() - started}


def child_consistency(work: Path, parcels: int, policy: str) -> dict:
    from assets_pipeline.consistency.resolve import run_consistency

    layout = rb.layout_of(province_dir(work, parcels) / "out")
    started = time.perf_counter()
    result = run_consistency(layout, policy)
    seconds = time.perf_counter() - started
    return {"wall_s": seconds, "details": {"findings": result.findings, "rejected_rows": result.rejected_rows}}


def measure(args: argparse.Namespace, child: str, label: str, policy: str = "") -> rb.Measurement:
    name = f"{child}_{policy or 'prep'}"
    return rb.measure_child(
        Path(__file__).resolve(),
        child,
        label,
        ["--work-dir", str(args.work_dir), "--parcels", str(args.parcels)] + (["--policy", policy] if policy else []),
        args.work_dir / "consistency" / f"result_{name}.json",
        args.work_dir / "consistency" / "logs" / f"{name}.log",
        args.rss_limit_mib,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=rb.DEFAULT_PARCELS)
    parser.add_argument("--work-dir", type=Path, default=rb.DEFAULT_WORK_DIR)
    parser.add_argument("--reuse", action="store_true", help="keep an already prepared province of the same size")
    parser.add_argument("--policy", choices=POLICIES + ("all",), default="all")
    parser.add_argument("--rss-limit-mib", type=float, default=20_000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.work_dir = args.work_dir.resolve()

    if args.child:
        own = (
            child_prepare(args.work_dir, args.parcels)
            if args.child == "prepare"
            else child_consistency(args.work_dir, args.parcels, args.policy)
        )
        args.child_result.write_text(json.dumps(own, default=str), encoding="utf-8")
        return 0

    if not (args.reuse and (province_dir(args.work_dir, args.parcels) / ".complete").exists()):
        prep = measure(args, "prepare", f"generate and validate {args.parcels:,} parcels (not the benchmark)")
        if not prep.ok:
            return 1
    policies = POLICIES if args.policy == "all" else (args.policy,)
    results = []
    print(f"\nconsistency step on {args.parcels:,} base parcels and their inventories", flush=True)
    print(f"{'policy':<16}{'wall s':>10}{'peak RSS MiB':>15}{'findings':>12}", flush=True)
    for policy in policies:
        m = measure(args, "consistency", f"consistency ({policy})", policy)
        findings = sum(n for by in m.details.get("findings", {}).values() for n in by.values())
        wall = f"{m.wall_s:,.1f}" if m.wall_s is not None else "-"
        print(f"{policy:<16}{wall:>10}{m.peak_rss_mib or 0:>15,.0f}{findings:>12,}", flush=True)
        results.append(
            {
                "policy": policy,
                "wall_s": m.wall_s,
                "process_s": m.process_s,
                "peak_rss_mib": m.peak_rss_mib,
                "ok": m.ok,
                "findings": m.details.get("findings"),
            }
        )
    out = args.work_dir / "consistency" / f"results_{args.parcels}.json"
    out.write_text(json.dumps({"parcels": args.parcels, "results": results}, indent=2), encoding="utf-8")
    print(f"\nresults: {out}")
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
