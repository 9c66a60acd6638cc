"""A year compiled through Dagster, into the output folder's own Dagster instance (every run shows up in the UI
with its lineage), under the year's lock; a line per step while it runs, then a summary or the reasons it failed."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from assets_pipeline.cli.summary import category_table, print_categories, print_missing_counties, print_summary

DAGSTER_FOLDER = ".dagster"  # the Dagster instance of an output folder: <output-dir>/.dagster/


def dagster_home(output_dir: Path) -> Path:
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


def materialize(year: int, settings: dict, selection: str, province: str | None = None) -> int:
    """Run the province-year holding its lock (``year_lock``): a second run of the same year is refused.

    Without a province, the input folder's single province (the one its reference tables describe)."""
    from assets_pipeline.defs.failures import EXIT_CANNOT_WRITE, EXIT_IN_PROGRESS, EXIT_REFUSED
    from assets_pipeline.infra import year_lock
    from assets_pipeline.infra.errors import OutputFolderError, RunInProgressError, SettingsError
    from assets_pipeline.settings import AccountsSettings

    accounts = AccountsSettings(**settings)
    province = province or accounts.single_province()
    try:
        accounts.check_province(province)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    output_dir = accounts.province_output(province)
    try:
        year_lock.acquire(output_dir, year)
    except (RunInProgressError, OutputFolderError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_IN_PROGRESS if isinstance(exc, RunInProgressError) else EXIT_CANNOT_WRITE
    try:
        refusal = validate_refusal(output_dir, year) if selection == "validate" else None
        if refusal:
            print(f"error: {refusal}", file=sys.stderr)
            return EXIT_REFUSED
        return execute(year, settings, selection, province, output_dir)
    finally:
        year_lock.release(output_dir, year)


def validate_refusal(output_dir: Path, year: int) -> str | None:
    """``validate`` writes the rejects and inconsistency files (and the stage files) of the year: into a folder
    holding the year's published accounts it would leave them beside ledgers, report and manifest of another
    run, a mixed set. Such a folder is refused."""
    from assets_pipeline.infra.layout import YearLayout

    layout = YearLayout(output_dir, year)
    if not (layout.manifest.exists() or layout.ledger_value.exists() or layout.ledger_physical.exists()):
        return None
    return (
        f"{layout.root} holds the compiled accounts of {year}; validate would replace their rejects and "
        "inconsistency lists and leave a mixed set. Validate into another folder "
        f"(--output-dir {output_dir.parent / (output_dir.name + '-validation')}), or run the year"
    )


def execute(year: int, settings: dict, selection: str, province: str, output_dir: Path) -> int:
    from assets_pipeline.defs.failures import EXIT_CANNOT_WRITE
    from assets_pipeline.infra.errors import OutputFolderError, output_failure_cause

    try:
        return execute_in(dagster_home(Path(settings["output_dir"])), year, settings, selection, province, output_dir)
    except OSError as exc:  # the instance's folder or database on a full or read-only disk
        print(f"error: {OutputFolderError.from_os_error(output_dir, exc)}", file=sys.stderr)
        return EXIT_CANNOT_WRITE
    except Exception as exc:  # e.g. the instance's SQLite database: "database or disk is full"
        cause = output_failure_cause(str(exc)) or (
            "no space left on the device" if "disk is full" in str(exc) else None
        )
        if cause is None:
            raise
        print(f"error: {OutputFolderError(output_dir, cause)}", file=sys.stderr)
        return EXIT_CANNOT_WRITE


def execute_in(home: Path, year: int, settings: dict, selection: str, province: str, output_dir: Path) -> int:
    import dagster as dg

    from assets_pipeline.defs.definitions import defs
    from assets_pipeline.defs.failures import EXIT_INTERRUPTED, interrupted_line, refused_a_delivery, why_failed
    from assets_pipeline.infra.instance import open_instance

    job = defs.resolve_job_def("annual_accounts")
    asset_graph = defs.resolve_asset_graph()
    keys = [
        k for k in asset_graph.get_all_asset_keys() if asset_graph.get(k).is_executable and k.path != ["national"]
    ]  # the nation has its own job
    if selection == "validate":
        keys = [
            k
            for k in keys
            if k.path[0] == "reference"
            or k.path[-1] in ("ingested", "validated")
            or k.path in (["consistency"], ["rejects"], ["missing_counties"], ["overlay"])
        ]
    run_config = {"resources": {"settings": {"config": settings}}, "loggers": {"progress": {}}}
    started = time.monotonic()
    print(f"Compiling {year} from {settings['input_dir']} (Dagster instance: {home})", file=sys.stderr)
    try:
        with open_instance(home) as instance:
            result = job.execute_in_process(
                run_config=run_config,
                instance=instance,
                partition_key=dg.MultiPartitionKey({"province": province, "year": str(year)}),
                raise_on_error=False,
                asset_selection=keys,
            )
    except KeyboardInterrupt:
        print(interrupted_line(year, output_dir), file=sys.stderr)
        return EXIT_INTERRUPTED
    seconds = time.monotonic() - started
    if not result.success or refused_a_delivery(result):
        failure = why_failed(result, year, output_dir)
        for line in failure.lines:
            print(line, file=sys.stderr)
        if category_table(result):  # what was read all the same: the other categories went on
            print_categories(result, file=sys.stderr)
        print_missing_counties(output_dir / str(year), file=sys.stderr)
        problems = sum(line.startswith("error:") for line in failure.lines)
        print(f"(run {result.run_id}; {problems} problem(s); details in the Dagster UI on {home})", file=sys.stderr)
        return failure.code
    print_summary(result, output_dir, year, seconds, selection)
    return 0
