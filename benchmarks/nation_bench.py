"""Benchmark of the nation's path: three sample provinces compiled through the run queue and the daemon
(``nrledger run --provinces all``) with one and with two province-years at once; wall time and peak memory.

Usage (see benchmarks/README.md)::

    .venv/bin/python benchmarks/nation_bench.py [--parcels N] [--years 2023] [--concurrency 1 2] [--work-dir DIR]
        [--reuse] [--layers none|mixed]

Generates the sample nation 110000, 140000, 620000 (``sample.nation.generate_nation``, N parcels each, Parquet
deliveries), then for each concurrency compiles it into a fresh output folder with the command as a user runs it
(its own embedded instance, its queue configured with ``--concurrency``, the daemon started for the duration). Every
half second it adds up the resident memory of the command's whole process tree (the command, the daemon, the code
server, the run workers and their overlay workers) and keeps the largest sum and the largest single process. Prints
the figures and a JSON line; asserts nothing but the command's exit code.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil

BENCH_DIR = Path(__file__).resolve().parent
PROVINCES = ("110000", "140000", "620000")
DEFAULT_WORK_DIR = BENCH_DIR / "work" / "nation"
SAMPLE_SECONDS = 0.5


def generate(work_dir: Path, parcels: int, years: list[int], layers: str, reuse: bool) -> Path:
    from assets_pipeline.sample.nation import generate_nation

    root = work_dir / f"nation_{parcels}_{layers}"
    done = root / ".complete"
    if reuse and done.exists():
        return root
    if root.exists():
        shutil.rmtree(root)
    started = time.perf_counter()
    generate_nation(root, PROVINCES, years, parcels=parcels, formats="parquet", layers=layers)
    done.write_text("ok", encoding="utf-8")
    print(f"generated {len(PROVINCES)} × {parcels:,} parcels in {time.perf_counter() - started:.0f} s", flush=True)
    return root


def tree_rss(process: psutil.Process) -> tuple[int, int, int]:
    """Resident bytes of the process and all its descendants, of the largest one, and how many there are."""
    total = largest = count = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0, 0, 0
    for member in members:
        try:
            rss = member.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        total, largest, count = total + rss, max(largest, rss), count + 1
    return total, largest, count


def compile_nation(root: Path, years: list[int], concurrency: int) -> dict:
    out = root / f"out_c{concurrency}"
    if out.exists():
        shutil.rmtree(out)
    command = [sys.executable, "-m", "assets_pipeline.cli", "run", "--input-dir", str(root / "inputs")]
    command += ["--reference-dir", str(root / "reference_tables"), "--output-dir", str(out), "--provinces", "all"]
    command += ["--years", f"{years[0]}-{years[-1]}", "--concurrency", str(concurrency)]
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}  # the output folder's own instance
    log = (root / f"run_c{concurrency}.log").open("w", encoding="utf-8")
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    watched = psutil.Process(process.pid)
    peak_tree = peak_one = most = 0
    while process.poll() is None:
        total, largest, count = tree_rss(watched)
        peak_tree, peak_one, most = max(peak_tree, total), max(peak_one, largest), max(most, count)
        time.sleep(SAMPLE_SECONDS)
    wall = time.perf_counter() - started
    log.close()
    table = (root / f"run_c{concurrency}.log").read_text(encoding="utf-8")
    return {
        "concurrency": concurrency,
        "exit_code": process.returncode,
        "wall_s": round(wall, 1),
        "peak_tree_rss_mib": round(peak_tree / 2**20),
        "peak_process_rss_mib": round(peak_one / 2**20),
        "processes_at_most": most,
        "table": table[table.find("province  year") :].strip(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=1_000_000, help="parcels per province (default 1,000,000)")
    parser.add_argument("--years", type=int, nargs="+", default=[2023])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR)
    parser.add_argument("--layers", choices=["none", "mixed"], default="none")
    parser.add_argument("--reuse", action="store_true", help="keep a generated nation of the same size")
    args = parser.parse_args()
    years = sorted(set(args.years))
    root = generate(args.work_dir, args.parcels, years, args.layers, args.reuse)
    figures = []
    for concurrency in args.concurrency:
        result = compile_nation(root, years, concurrency)
        figures.append(result)
        print(
            f"concurrency {concurrency}: exit {result['exit_code']}, wall {result['wall_s']:.1f} s, peak RSS of the "
            f"process tree {result['peak_tree_rss_mib']:,} MiB (largest process {result['peak_process_rss_mib']:,} "
            f"MiB, at most {result['processes_at_most']} processes)\n{result['table']}",
            flush=True,
        )
    print(json.dumps({"parcels_per_province": args.parcels, "years": years, "provinces": PROVINCES, "runs": figures}))
    return 0 if all(f["exit_code"] == 0 for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
