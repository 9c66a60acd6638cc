"""``nrledger``: the command line of the annual accounts.

``run`` and ``validate`` materialize the year through Dagster (into the project's Dagster
instance, so every run shows up in the UI with its lineage); they print a line per step and a
summary, and exit non-zero with a one-line reason when something fails.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from assets_pipeline.settings import PROJECT_DIR

DAGSTER_FOLDER = ".dagster"  # the Dagster instance of an output folder: <output-dir>/.dagster/


def _dagster_home(output_dir: Path) -> Path:
    """``DAGSTER_HOME`` if set, else the output folder's own instance (``<output-dir>/.dagster/``).

    The instance belongs to the accounts it produced: the run history and lineage travel with the
    published set, and the UI opened on that folder shows exactly its runs."""
    explicit = os.environ.get("DAGSTER_HOME")
    home = Path(explicit) if explicit else Path(output_dir) / DAGSTER_FOLDER
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    return home


def _settings_config(args: argparse.Namespace) -> dict:
    config = {
        "input_dir": str(Path(args.input_dir).resolve()),
        "output_dir": str(Path(args.output_dir).resolve()),
    }
    for name in ("reference_dir", "declared_area_unit", "mineral_model", "discount_rate", "unpriced_threshold", "lang", "xlsx_sheet",
                 "consistency_policy", "area_tolerance", "allow_missing_counties"):
        value = getattr(args, name, None)
        if value is not None:
            config[name] = str(Path(value).resolve()) if name == "reference_dir" else value
    return config


def _materialize(year: int, settings: dict, selection: str) -> int:
    """Run the year holding its lock (``year_lock``): a second run of the same year is refused."""
    from assets_pipeline.infra import year_lock
    from assets_pipeline.infra.errors import OutputFolderError, RunInProgressError
    from assets_pipeline.defs.failures import EXIT_CANNOT_WRITE, EXIT_IN_PROGRESS, EXIT_REFUSED

    output_dir = Path(settings["output_dir"])
    try:
        year_lock.acquire(output_dir, year)
    except (RunInProgressError, OutputFolderError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_IN_PROGRESS if isinstance(exc, RunInProgressError) else EXIT_CANNOT_WRITE
    try:
        refusal = _validate_refusal(output_dir, year) if selection == "validate" else None
        if refusal:
            print(f"error: {refusal}", file=sys.stderr)
            return EXIT_REFUSED
        return _execute(year, settings, selection)
    finally:
        year_lock.release(output_dir, year)


def _validate_refusal(output_dir: Path, year: int) -> str | None:
    """``validate`` writes the rejects and inconsistency files (and the stage files) of the year: into a folder
    holding the year's published accounts it would leave them beside ledgers, report and manifest of another
    run, a mixed set. Such a folder is refused."""
    from assets_pipeline.infra.layout import YearLayout

    layout = YearLayout(output_dir, year)
    if not (layout.manifest.exists() or layout.ledger_value.exists() or layout.ledger_physical.exists()):
        return None
    return (f"{layout.root} holds the compiled accounts of {year}; validate would replace their rejects and "
            "inconsistency lists and leave a mixed set. Validate into another folder "
            f"(--output-dir {output_dir.parent / (output_dir.name + '-validation')}), or run the year")


def _execute(year: int, settings: dict, selection: str) -> int:
    from assets_pipeline.infra.errors import OutputFolderError, output_failure_cause
    from assets_pipeline.defs.failures import EXIT_CANNOT_WRITE

    output_dir = Path(settings["output_dir"])
    try:
        return _execute_in(_dagster_home(output_dir), year, settings, selection)
    except OSError as exc:  # the instance's folder or database on a full or read-only disk
        print(f"error: {OutputFolderError.from_os_error(output_dir, exc)}", file=sys.stderr)
        return EXIT_CANNOT_WRITE
    except Exception as exc:  # e.g. the instance's SQLite database: "database or disk is full"
        cause = output_failure_cause(str(exc)) or ("no space left on the device" if "disk is full" in str(exc) else None)
        if cause is None:
            raise
        print(f"error: {OutputFolderError(output_dir, cause)}", file=sys.stderr)
        return EXIT_CANNOT_WRITE


def _execute_in(home: Path, year: int, settings: dict, selection: str) -> int:
    output_dir = Path(settings["output_dir"])
    import dagster as dg

    from assets_pipeline.defs.definitions import defs
    from assets_pipeline.defs.failures import EXIT_INTERRUPTED, interrupted_line, why_failed

    job = defs.resolve_job_def("annual_accounts")
    asset_graph = defs.resolve_asset_graph()
    keys = list(asset_graph.get_all_asset_keys())
    if selection == "validate":
        keys = [k for k in keys if k.path[0] == "reference" or k.path[-1] in ("ingested", "validated")
                or k.path in (["consistency"], ["rejects"], ["missing_counties"])]
    run_config = {"resources": {"settings": {"config": settings}}, "loggers": {"progress": {}}}
    started = time.monotonic()
    print(f"Compiling {year} from {settings['input_dir']} (Dagster instance: {home})", file=sys.stderr)
    try:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            result = job.execute_in_process(
                run_config=run_config, instance=instance, partition_key=str(year), raise_on_error=False,
                asset_selection=keys,
            )
    except KeyboardInterrupt:
        print(interrupted_line(year, output_dir), file=sys.stderr)
        return EXIT_INTERRUPTED
    seconds = time.monotonic() - started
    if not result.success:
        failure = why_failed(result, year, output_dir)
        for line in failure.lines:
            print(line, file=sys.stderr)
        if _category_table(result):  # what was read all the same: the other categories went on
            _print_categories(result, file=sys.stderr)
        _print_missing_counties(output_dir / str(year), file=sys.stderr)
        problems = sum(line.startswith("error:") for line in failure.lines)
        print(f"(run {result.run_id}; {problems} problem(s); details in the Dagster UI on {home})", file=sys.stderr)
        return failure.code
    _print_summary(result, settings, year, seconds, selection)
    return 0


def _category_table(result) -> list[tuple]:
    rows = []
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        key = materialization.asset_key.path
        if key[-1] == "validated":
            md = {k: v.value for k, v in materialization.metadata.items()}
            rows.append((key[0], md["rows_read"], md["rows_valid"], md["rows_excluded"], md["rows_rejected"]))
    return sorted(rows)


def _print_categories(result, file=None) -> None:
    print(f"\n{'category':<10} {'read':>10} {'valid':>10} {'excluded':>10} {'rejected':>10}", file=file)
    for row in _category_table(result):
        print(f"{row[0]:<10} {row[1]:>10,} {row[2]:>10,} {row[3]:>10,} {row[4]:>10,}", file=file)


def _print_missing_counties(year_root: Path, file=None) -> None:
    """The counties that delivered no rows for a category (``deliveries.py``), one line each."""
    import pyarrow.parquet as pq

    path = year_root / "_stages" / "missing_counties.parquet"
    if not path.exists():
        return
    findings = pq.read_table(path).to_pylist()
    if findings:
        print(f"\nCounties that delivered no rows ({len(findings)}; {path}):", file=file)
    for f in findings:
        mark = "BLOCKS " if f["blocking"] else ("allowed " if f["allowed"] else "")
        print(f"  {mark}{f['category']:<10} {f['region_code']} {f['region_name']}: {f['evidence']}", file=file)


def _print_summary(result, settings: dict, year: int, seconds: float, selection: str) -> None:
    _print_categories(result)
    out = Path(settings["output_dir"]) / str(year)
    _print_missing_counties(out)
    print(f"\nDone in {seconds:.1f} s. Outputs in {out}")
    report = out / f"report_{year}.xlsx"
    if selection == "run" and report.exists():
        print(f"Report workbook: {report}")
    print(f"Rejected rows for the counties to fix: {out / f'rejects_{year}.xlsx'}")
    inconsistencies = out / f"inconsistencies_{year}.xlsx"
    if inconsistencies.exists():
        print(f"Inconsistent parcels (不一致图斑) for the counties to fix: {inconsistencies}")


def _cmd_sample(args: argparse.Namespace) -> int:
    from assets_pipeline.sample.generate import generate_sample

    years = _years(args)
    summary = generate_sample(Path(args.out), years, parcels=args.parcels, seed=args.seed, formats=args.formats,
                              inconsistency_share=args.inconsistency_share)
    print(f"Sample province written to {Path(args.out).resolve()} for {', '.join(map(str, years))} "
          f"({summary.seconds:.1f} s)")
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
        code = _materialize(year, _settings_config(args), selection)
        if code:
            return code
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    return _each_year(args, "run")


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
        print(f"The outputs of {args.year} in {layout.root} are not the set manifest.json describes: run the year again.",
              file=sys.stderr)
        return 1
    print(f"The outputs of {args.year} in {layout.root} are complete and match manifest.json.")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from assets_pipeline.sample.generate import generate_sample

    folder = Path(args.folder)
    inputs, outputs = folder / "inputs", folder / "outputs"
    generate_sample(inputs, [args.year], parcels=args.parcels, seed=args.seed)
    print(f"Sample province ({args.parcels:,} parcels) written to {inputs.resolve()}", file=sys.stderr)
    ns = argparse.Namespace(input_dir=str(inputs), output_dir=str(outputs))
    return _materialize(args.year, _settings_config(ns), "run")


def _cmd_explain(args: argparse.Namespace) -> int:
    """Print a ledger cell with the rows that make it and its checks; write every row to a workbook."""
    from assets_pipeline.publish.explain import CellQuery, ExplainError, explain_cell, format_explanation

    indicator = args.indicator or ("area" if args.physical else None)
    query = CellQuery(year=args.year, category=args.category, region=args.region, item=args.item, subject=args.subject,
                      component=args.component, indicator=indicator, mineral_model=args.mineral_model)
    try:
        explanation = explain_cell(Path(args.output_dir).resolve(), query, top=args.top,
                                   workbook=Path(args.workbook) if args.workbook else True)
    except ExplainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        print(format_explanation(explanation), flush=True)
    except BrokenPipeError:  # piped into `head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0 if explanation.ok else 1


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

    def year_args(p: argparse.ArgumentParser) -> None:
        which = p.add_mutually_exclusive_group(required=True)
        which.add_argument("--year", type=_accounting_year, help="accounting year, e.g. 2023")
        which.add_argument("--years", type=_year_range, nargs="+", action="extend",
                           help="several years, run oldest first: 2021-2023 or 2021 2022 2023 (balance accounts of "
                           "each year against the one before)")
        p.add_argument("--input-dir", required=True, help="folder with <year>/<category>.<ext> or <year>/<category>/*")
        p.add_argument("--output-dir", required=True, help="folder the year's outputs go to (<output-dir>/<year>/)")
        p.add_argument("--reference-dir", help="reference tables folder (default: the project's reference_tables/)")
        p.add_argument("--area-unit", dest="declared_area_unit", help="unit of area columns whose header names none (m2, 亩, 公顷)")
        p.add_argument("--sheet", dest="xlsx_sheet", help="sheet to read from .xlsx deliveries (default: the first with the category's header)")
        p.add_argument("--consistency-policy", choices=["base-map-wins", "inventory-wins", "reject"],
                       help="how inconsistent parcels are resolved (default base-map-wins, DOMAIN §2)")
        p.add_argument("--area-tolerance", type=float,
                       help="share by which inventory areas may exceed their base parcel (default 0.001)")
        p.add_argument("--allow-missing-county", dest="allow_missing_counties", action="append", metavar="CODE",
                       help="a county known to deliver no land survey this year (repeatable); otherwise a county "
                       "missing from the base map blocks publication")

    p = sub.add_parser("run", help="compile the year: ingest, validate, value, ledgers, workbooks")
    year_args(p)
    p.add_argument("--mineral-model", choices=["benchmark", "npv"], help="mineral valuation model (default benchmark)")
    p.add_argument("--discount-rate", type=float, help="discount rate of the npv mineral model (default 0.08)")
    p.add_argument("--unpriced-threshold", type=float, help="largest unpriced share per category before the run fails (default 0.01)")
    p.add_argument("--lang", choices=["zh", "en"], help="language of the report workbook (default zh)")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("validate", help="ingest and validate only; writes the rejects")
    year_args(p)
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("sample", help="generate a synthetic Shanxi-like province")
    p.add_argument("--year", type=_accounting_year, default=2023)
    p.add_argument("--years", type=_year_range, nargs="+", action="extend",
                   help="several consistent years: 2021-2023 or 2021 2022 2023")
    p.add_argument("--out", required=True, help="folder to write <out>/<year>/… into")
    p.add_argument("--parcels", type=int, default=50_000, help="land parcels (default 50,000)")
    p.add_argument("--seed", type=int, default=2023)
    p.add_argument("--formats", choices=["mixed", "parquet", "csv"], default="mixed")
    p.add_argument("--inconsistency-share", type=float, default=0.005,
                   help="share of base parcels given each kind of base-map inconsistency (default 0.005; 0 for none)")
    p.set_defaults(func=_cmd_sample)

    p = sub.add_parser("demo", help="generate the sample province and compile it")
    p.add_argument("--folder", default=str(PROJECT_DIR / "demo"), help="where inputs/ and outputs/ go (default ./demo)")
    p.add_argument("--year", type=_accounting_year, default=2023)
    p.add_argument("--parcels", type=int, default=50_000)
    p.add_argument("--seed", type=int, default=2023)
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("verify", help="check that the year's published files are the ones its manifest.json describes")
    p.add_argument("--year", type=_accounting_year, required=True)
    p.add_argument("--output-dir", required=True)
    p.set_defaults(func=_cmd_verify)

    p = sub.add_parser("explain", help="show a ledger cell, the valued rows that make it and their price rows")
    p.add_argument("--year", type=_accounting_year, required=True)
    p.add_argument("--output-dir", required=True, help="the folder the year was compiled into")
    p.add_argument("--category", required=True, help="land, forest, grassland, wetland, water or minerals")
    p.add_argument("--region", required=True, help="county, city or province code (a city or the province: all its counties' rows)")
    p.add_argument("--item", required=True, help="the ledger item by code or name as the workbook prints it: 01 or 耕地, 0301, "
                   "coal|proved_reserve or 煤炭 证实储量, coal (all its resource classes), all (the category's 合计)")
    p.add_argument("--subject", help="exercising subject (central, provincial, municipal); default: all")
    p.add_argument("--component", help="value component (land, trees, water, mineral); default: all")
    p.add_argument("--indicator", help="explain the physical ledger's cell of this indicator (area, area_mu, stock, "
                   "bamboo_stems, hay_yield, volume, quantity) instead of the value ledger's")
    p.add_argument("--physical", action="store_true", help="the physical ledger's area (same as --indicator area)")
    p.add_argument("--mineral-model", choices=["benchmark", "npv"], help="refuse outputs valued with the other model")
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


if __name__ == "__main__":
    sys.exit(main())
