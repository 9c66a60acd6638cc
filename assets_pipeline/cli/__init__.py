"""``nrledger``: the command line of the annual accounts.

``run`` and ``validate`` materialize the year through Dagster (``cli.run``): into the output folder's Dagster
instance, so every run shows up in the UI with its lineage; they print a line per step and a summary, and exit
non-zero with a one-line reason when something fails. Their options are the fields of ``AccountsSettings``
(``cli.options``).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from contextlib import contextmanager
from pathlib import Path

from assets_pipeline.cli.options import add_setting_options, settings_config
from assets_pipeline.cli.run import materialize
from assets_pipeline.settings import PROJECT_DIR, MineralModel


def _cmd_sample(args: argparse.Namespace) -> int:
    from assets_pipeline.sample.generate import generate_sample

    years = _years(args)
    options = {
        "formats": args.formats,
        "inconsistency_share": args.inconsistency_share,
        "layers": args.layers,
        "overlap": args.plant_overlap,
    }
    if args.provinces:
        return _sample_nation(args, years, options)
    summary = generate_sample(Path(args.out), years, parcels=args.parcels, seed=args.seed, **options)
    print(
        f"Sample province written to {Path(args.out).resolve()} for {', '.join(map(str, years))} "
        f"({summary.seconds:.1f} s)"
    )
    return 0


def _sample_nation(args: argparse.Namespace, years: list[int], options: dict) -> int:
    """``<out>/inputs/<province>/<year>/`` per province and ``<out>/reference_tables/`` (``sample.nation``)."""
    from assets_pipeline.sample.nation import generate_nation

    provinces = [c for token in args.provinces for c in token.split(",") if c]
    try:
        summaries = generate_nation(Path(args.out), provinces, years, parcels=args.parcels, seed=args.seed, **options)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out).resolve()
    seconds = sum(s.seconds for s in summaries.values())
    print(
        f"Sample nation of {len(summaries)} province(s) ({', '.join(summaries)}) written to {out / 'inputs'} for "
        f"{', '.join(map(str, years))} ({seconds:.1f} s); run it with --input-dir {out / 'inputs'} "
        f"--reference-dir {out / 'reference_tables'} --provinces all"
    )
    return 0


def _years(args: argparse.Namespace) -> list[int]:
    """The years asked for, oldest first, each once: ``--years 2021-2023`` and ``--years 2021 2022 2023`` alike."""
    if not args.years:
        return [args.year]
    return sorted({year for token in args.years for year in token})  # each token is a year or a range


def _year_range(text: str) -> list[int]:
    """``2023`` or ``2021-2023`` (inclusive)."""
    first, _, last = text.partition("-")
    try:
        int(first), int(last or first)
    except ValueError:
        raise argparse.ArgumentTypeError(f"years must be like 2023 or 2021-2023, not {text!r}") from None
    years = list(range(_accounting_year(first), _accounting_year(last or first) + 1))
    if not years:
        raise argparse.ArgumentTypeError(f"empty range of years {text!r}")
    return years


def _each_year(args: argparse.Namespace, selection: str) -> int:
    """One Dagster run per year, oldest first, so each year's balance accounts find last year's outputs;
    stops at the first year that fails."""
    for year in _years(args):
        code = materialize(year, settings_config(args), selection, province=args.province)
        if code:
            return code
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    if args.provinces and args.province:
        print("error: --province names the single province of an input folder; --provinces a nation's", file=sys.stderr)
        return 2
    if args.provinces:
        return _run_provinces(args)
    return _each_year(args, "run")


def _run_provinces(args: argparse.Namespace) -> int:
    """Several provinces (``<input-dir>/<province>/<year>/``) through the instance's run queue (``cli.nation``)."""
    from assets_pipeline.cli.nation import NationRun, run_nation
    from assets_pipeline.cli.run import dagster_home

    settings = settings_config(args)
    input_dir = Path(settings["input_dir"])
    present = sorted(p.name for p in input_dir.iterdir() if p.is_dir() and p.name.isdigit() and len(p.name) == 6)
    asked = present if args.provinces == ["all"] else [c for token in args.provinces for c in token.split(",") if c]
    absent = [c for c in asked if c not in present]
    if not asked or absent:
        print(
            f"error: {input_dir} holds no folder for province(s) {', '.join(absent) or '(none asked)'}; "
            f"its province folders are {', '.join(present) or 'none'}",
            file=sys.stderr,
        )
        return 2
    plan = NationRun(provinces=asked, years=_years(args))
    print(
        f"Compiling {len(asked)} province(s) × {len(plan.years)} year(s) through the run queue "
        f"(at most {args.concurrency} at once)",
        file=sys.stderr,
    )
    return run_nation(plan, settings, dagster_home(Path(settings["output_dir"])), args.concurrency)


def _cmd_validate(args: argparse.Namespace) -> int:
    return _each_year(args, "validate")


def _cmd_verify(args: argparse.Namespace) -> int:
    from assets_pipeline.infra.layout import YearLayout
    from assets_pipeline.publish.manifest import verify_outputs

    layout = YearLayout(Path(args.output_dir).resolve(), args.year)
    problems = verify_outputs(layout)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        print(
            f"The outputs of {args.year} in {layout.root} are not the set manifest.json describes: run the year again.",
            file=sys.stderr,
        )
        return 1
    print(f"The outputs of {args.year} in {layout.root} are complete and match manifest.json.")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from assets_pipeline.sample.generate import generate_sample

    folder = Path(args.folder)
    inputs, outputs = folder / "inputs", folder / "outputs"
    generate_sample(inputs, [args.year], parcels=args.parcels, seed=args.seed, layers=args.layers)
    print(f"Sample province ({args.parcels:,} parcels) written to {inputs.resolve()}", file=sys.stderr)
    ns = argparse.Namespace(input_dir=str(inputs), output_dir=str(outputs))
    return materialize(args.year, settings_config(ns), "run")


def _cmd_explain(args: argparse.Namespace) -> int:
    """Print a ledger cell with the rows that make it and its checks; write every row to a workbook."""
    from assets_pipeline.publish.explain import explain_cell, format_explanation
    from assets_pipeline.publish.explain_cells import CellQuery, ExplainError

    indicator = args.indicator or ("area" if args.physical else None)
    query = CellQuery(
        year=args.year,
        category=args.category,
        region=args.region,
        item=args.item,
        subject=args.subject,
        component=args.component,
        indicator=indicator,
        mineral_model=args.mineral_model,
    )
    try:
        explanation = explain_cell(
            Path(args.output_dir).resolve(),
            query,
            top=args.top,
            workbook=Path(args.workbook) if args.workbook else True,
        )
    except ExplainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        print(format_explanation(explanation), flush=True)
    except BrokenPipeError:  # piped into `head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0 if explanation.ok else 1


def _province_code(text: str) -> str:
    if not (len(text) == 6 and text.isdigit()):
        raise argparse.ArgumentTypeError(f"a province is a 6-digit code such as 620000, not {text!r}")
    return text


def _accounting_year(text: str) -> int:
    """An accounting year the partitions know (2015 … next year); anything else is refused."""
    import datetime as dt

    last = dt.date.today().year + 1
    try:
        year = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a year: {text!r}") from None
    if not 2015 <= year <= last:
        raise argparse.ArgumentTypeError(f"{year} is outside the accounting years 2015–{last}")
    return year


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nrledger", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def year_args(p: argparse.ArgumentParser, command: str) -> None:
        which = p.add_mutually_exclusive_group(required=True)
        which.add_argument("--year", type=_accounting_year, help="accounting year, e.g. 2023")
        which.add_argument(
            "--years",
            type=_year_range,
            nargs="+",
            action="extend",
            help="several years, run oldest first: 2021-2023 or 2021 2022 2023 (balance accounts of "
            "each year against the one before)",
        )
        add_setting_options(p, command)
        p.add_argument(
            "--province",
            type=_province_code,
            help="the province of a single-province input folder (<input-dir>/<year>/) when it is not the one of the "
            "reference tables' admin_divisions.csv: a province with its own tables in <reference-dir>/<province>/",
        )

    p = sub.add_parser("run", help="compile the year: ingest, validate, value, ledgers, workbooks")
    year_args(p, "run")
    p.add_argument(
        "--provinces",
        nargs="+",
        help="provinces of a nation's input folder (<input-dir>/<province>/<year>/): 110000,140000 or all; each "
        "province-year is a run of the instance's queue, launched by its daemon, then each year's national roll-up",
    )
    p.add_argument(
        "--concurrency", type=int, default=2, help="with --provinces: how many province-years run at once (default 2)"
    )
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("validate", help="ingest and validate only; writes the rejects")
    year_args(p, "validate")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("sample", help="generate a synthetic Shanxi-like province")
    p.add_argument("--year", type=_accounting_year, default=2023)
    p.add_argument(
        "--years",
        type=_year_range,
        nargs="+",
        action="extend",
        help="several consistent years: 2021-2023 or 2021 2022 2023",
    )
    p.add_argument("--out", required=True, help="folder to write <out>/<year>/… into")
    p.add_argument(
        "--provinces",
        nargs="+",
        help="a sample nation instead: 110000,140000,620000 writes <out>/inputs/<province>/<year>/… per province "
        "and <out>/reference_tables/ with each province's own divisions and price tables",
    )
    p.add_argument("--parcels", type=int, default=50_000, help="land parcels (default 50,000; per province)")
    p.add_argument("--seed", type=int, default=2023)
    p.add_argument("--formats", choices=["mixed", "parquet", "csv"], default="mixed")
    p.add_argument(
        "--inconsistency-share",
        type=float,
        default=0.005,
        help="share of base parcels given each kind of base-map inconsistency (default 0.005; 0 for none)",
    )
    p.add_argument(
        "--layers",
        choices=["mixed", "none", "all"],
        default="mixed",
        help="counties delivering layers with polygons (GeoPackage, Shapefile, FileGDB, GeoParquet) with zone and "
        "price polygons: about half (mixed, default), all, or none (tables only, as before layers)",
    )
    p.add_argument(
        "--plant-overlap",
        action="store_true",
        help="also plant two overlapping base parcels in a layer county: the overlay's blocking check then stops "
        "the year, as a real survey with the same ground twice would (DOMAIN §6)",
    )
    p.set_defaults(func=_cmd_sample)

    p = sub.add_parser("demo", help="generate the sample province and compile it")
    p.add_argument("--folder", default=str(PROJECT_DIR / "demo"), help="where inputs/ and outputs/ go (default ./demo)")
    p.add_argument("--year", type=_accounting_year, default=2023)
    p.add_argument("--parcels", type=int, default=50_000)
    p.add_argument("--seed", type=int, default=2023)
    p.add_argument("--layers", choices=["mixed", "none", "all"], default="mixed", help="as for nrledger sample")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("verify", help="check that the year's published files are the ones its manifest.json describes")
    p.add_argument("--year", type=_accounting_year, required=True)
    p.add_argument("--output-dir", required=True)
    p.set_defaults(func=_cmd_verify)

    p = sub.add_parser("explain", help="show a ledger cell, the valued rows that make it and their price rows")
    p.add_argument("--year", type=_accounting_year, required=True)
    p.add_argument("--output-dir", required=True, help="the folder the year was compiled into")
    p.add_argument("--category", required=True, help="land, forest, grassland, wetland, water or minerals")
    p.add_argument(
        "--region", required=True, help="county, city or province code (a city or the province: all its counties' rows)"
    )
    p.add_argument(
        "--item",
        required=True,
        help="the ledger item by code or name as the workbook prints it: 01 or 耕地, 0301, "
        "coal|proved_reserve or 煤炭 证实储量, coal (all its resource classes), all (the category's 合计)",
    )
    p.add_argument("--subject", help="exercising subject (central, provincial, municipal); default: all")
    p.add_argument("--component", help="value component (land, trees, water, mineral); default: all")
    p.add_argument(
        "--indicator",
        help="explain the physical ledger's cell of this indicator (area, area_mu, stock, "
        "bamboo_stems, hay_yield, volume, quantity) instead of the value ledger's",
    )
    p.add_argument("--physical", action="store_true", help="the physical ledger's area (same as --indicator area)")
    p.add_argument("--mineral-model", choices=list(MineralModel), help="refuse outputs valued with the other model")
    p.add_argument("--top", type=int, default=20, help="how many of the largest rows to print (default 20)")
    p.add_argument("--workbook", help="where to write every row (default <output-dir>/<year>/explain/<cell>.xlsx)")
    p.set_defaults(func=_cmd_explain)
    return parser


@contextmanager
def _sigterm_as_interrupt():
    """SIGTERM stops the command as Ctrl-C does (Dagster, while a run is in progress, does the same)."""
    import signal
    import threading

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    from assets_pipeline.defs.failures import EXIT_INTERRUPTED

    args = build_parser().parse_args(argv)
    try:
        with _sigterm_as_interrupt():
            return args.func(args)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def command() -> int:
    """``nrledger`` as a process of its own (the console script, ``python -m assets_pipeline.cli``).

    The process ends right after: its objects are frozen out of the collector, so the interpreter's exit does not
    walk the hundreds of thousands of objects Dagster, pandas and pyarrow created (0.4–0.5 s a run, measured).
    Exit handlers and finalizers still run; only the last cyclic collection is skipped. Tests call ``main``."""
    code = main()
    gc.freeze()
    return code


if __name__ == "__main__":
    sys.exit(command())
