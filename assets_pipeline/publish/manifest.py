"""manifest.json: what an auditor needs to reproduce the year's figures, gathered from the steps' records."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import json

from assets_pipeline.infra.duck import connect
from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.infra.storage import read_json
from assets_pipeline.ingest.delivered import sha256_of
from assets_pipeline.reference.tables import TABLES
from assets_pipeline.schema.categories import CATEGORIES
from assets_pipeline.valuation.models import MODELS_DIR

PACKAGES = (
    "assets-pipeline",
    "dagster",
    "pandera",
    "polars",
    "duckdb",
    "pandas",
    "pyarrow",
    "openpyxl",
    "python-calamine",
)


def _records(layout: YearLayout, stage: str, names) -> dict:
    out = {}
    for name in names:
        path = layout.record(stage, name)
        if path.exists():
            out[name] = read_json(path)
    return out


def _models() -> dict:
    models = {}
    for path in sorted(MODELS_DIR.glob("*.sql")):
        text = path.read_bytes()
        version = next(
            (
                line.split(":", 1)[1].strip()
                for line in text.decode("utf-8").splitlines()
                if line.startswith("-- version:")
            ),
            "",
        )
        models[path.stem] = {
            "file": f"valuation_models/{path.name}",
            "version": version,
            "sha256": hashlib.sha256(text).hexdigest(),
        }
    return models


def _totals(layout: YearLayout) -> dict:
    with connect() as con:
        value = con.execute(
            "SELECT category, component, sum(value_wan_yuan) FROM read_parquet($p) WHERE region_level = 'province' "
            "GROUP BY ALL ORDER BY ALL",
            {"p": str(layout.ledger_value)},
        ).fetchall()
        physical = con.execute(
            "SELECT category, indicator, unit, item_code, sum(quantity) FROM read_parquet($p) "
            "WHERE region_level = 'province' GROUP BY ALL ORDER BY ALL",
            {"p": str(layout.ledger_physical)},
        ).fetchall()
    return {
        "value_wan_yuan": {f"{c}/{k}": str(v) for c, k, v in value},
        "physical": {f"{c}/{i}/{ind} ({u})": str(q) for c, ind, u, i, q in physical},
    }


def settings_record(settings) -> dict:
    return settings.record()


def run_parameters(layout: YearLayout, settings) -> dict:
    """The run's settings, with the parameters a model took from the reference tables as used (the NPV discount
    rate, ``discount_rate_source`` saying whether from mineral_parameters.csv or the run's option)."""
    record = settings_record(settings)
    record.update(_records(layout, "valued", ["minerals"]).get("minerals", {}).get("parameters", {}))
    return record


def build_manifest(layout: YearLayout, settings, run_id: str) -> dict:
    """The manifest; ``content_sha256`` covers everything but the run's id and time."""
    validated = _records(layout, "validated", CATEGORIES)
    valued = _records(layout, "valued", CATEGORIES)
    rows = {}
    for c in CATEGORIES:
        v, s = validated.get(c, {}), valued.get(c, {}).get("rows_by_status", {})
        rows[c] = {
            "read": v.get("rows_read"),
            "valid": v.get("rows_valid"),
            "excluded": v.get("rows_excluded"),
            "rejected": v.get("rows_rejected"),
            "valued": s.get("valued", 0),
            "unpriced": s.get("unpriced", 0),
            "out_of_scope_at_valuation": s.get("excluded", 0),
        }
    content = {
        "year": layout.year,
        "parameters": run_parameters(layout, settings),
        "inputs": {c: r["files"] for c, r in _records(layout, "ingested", CATEGORIES).items()},
        "reference_tables": _records(layout, "reference", TABLES),
        "models": _models(),
        "models_used": {c: {"model": r["model"], "version": r["version"]} for c, r in valued.items()},
        "packages": {p: importlib.metadata.version(p) for p in PACKAGES},
        "rows": rows,
        "consistency": _records(layout, "consistency", ["findings"]).get("findings"),
        "missing_counties": _records(layout, "deliveries", ["missing_counties"]).get("missing_counties"),
        "totals": _totals(layout),
        "balance": _records(layout, "balance", ("physical", "value", "land_transitions")),
    }
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()
    return {
        **content,
        "content_sha256": digest,
        "outputs": published_files(layout),
        "run": {"run_id": run_id, "written_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")},
    }


def published_paths(layout: YearLayout) -> list:
    """The files of the year a user opens (the manifest itself aside), those that exist."""
    paths = [
        layout.ledger_physical,
        layout.ledger_value,
        layout.breakdown_physical,
        layout.breakdown_value,
        layout.unpriced,
        layout.rejects_parquet,
        layout.rejects_workbook,
        layout.report(),
        *(layout.valued(c) for c in CATEGORIES),
        layout.balance_physical,
        layout.balance_value,
        layout.land_transitions,
        layout.inconsistencies,
        layout.inconsistencies_workbook,
        layout.scorecard,
        *sorted((layout.root / "to_counties").glob("*.xlsx")),  # the county packs (county_packs.py)
        # the layers and maps handed back (layers.py, maps.py; DOMAIN §6): a FileGDB is a folder of files
        *sorted((layout.root / "to_counties").glob("*.gpkg")),
        *sorted(f for gdb in (layout.root / "to_counties").glob("*.gdb") for f in gdb.iterdir() if f.is_file()),
        layout.root / "layers" / "valued_parcels.parquet",
        *sorted((layout.root / "maps").glob("*.png")),
    ]
    return [p for p in paths if p.exists()]


def published_files(layout: YearLayout) -> dict:
    """SHA-256 and size of every published file, by path relative to the year's folder.

    The manifest is written last, after every other output of the run: a reader trusts a file whose hash
    is the manifest's. A run killed after replacing some files but before its manifest leaves files whose
    hashes differ from the (previous) manifest's, and ``nrledger verify`` says which.
    Not part of ``content_sha256``: the workbooks carry the run's id and time, so their bytes differ
    from run to run.
    """
    return {
        p.relative_to(layout.root).as_posix(): {"sha256": sha256_of(p), "bytes": p.stat().st_size}
        for p in published_paths(layout)
    }


def verify_outputs(layout: YearLayout) -> list[str]:
    """What does not match between the year's manifest and its published files (empty when all is well).

    Each problem says what happened as far as the manifest tells: the manifest is the last file a run writes,
    so a file that differs from it (or that it does not list) was written after the run the manifest names,
    by a run that published no manifest: one that failed, was stopped or was killed."""
    if not layout.manifest.exists():
        return [f"{layout.manifest} is missing: no run of {layout.year} has completed in {layout.root}"]
    try:
        document = read_json(layout.manifest)
    except ValueError as exc:
        return [f"{layout.manifest} cannot be read: {exc}"]
    described = document.get("outputs", {})
    run = document.get("run", {})
    published_by = f"run {run.get('run_id', '?')} of {run.get('written_at', '?')}"
    later = (
        f"replaced after {published_by}, which manifest.json describes, by a run that failed, was stopped or was killed"
    )
    problems = []
    present = {p.relative_to(layout.root).as_posix(): p for p in published_paths(layout)}
    for name, record in sorted(described.items()):
        path = layout.root / name
        if name not in present:
            problems.append(f"{path} is missing (published by {published_by})")
        elif sha256_of(path) != record["sha256"]:
            problems.append(f"{path} differs from the manifest: {later}")
    for name in sorted(set(present) - set(described)):
        problems.append(
            f"{present[name]} is not in the manifest: written after {published_by} by a run that failed, "
            "was stopped or was killed"
        )
    return problems


def cover_info(layout: YearLayout, settings, run_id: str):
    """What the workbook's cover sheet shows, from the same records as the manifest."""
    from assets_pipeline.publish.report_cover import CoverInfo

    with connect() as con:
        province_code, province_name = con.execute(
            "SELECT region_code, name FROM read_parquet($p) WHERE level = 'province'",
            {"p": str(layout.reference("admin_divisions"))},
        ).fetchone()
    ingested = _records(layout, "ingested", CATEGORIES)
    validated = _records(layout, "validated", CATEGORIES)
    valued = _records(layout, "valued", CATEGORIES)
    references = _records(layout, "reference", TABLES)
    return CoverInfo(
        year=layout.year,
        province_code=province_code,
        province_name=province_name,
        run_time=dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        run_id=run_id,
        inputs=[(c, f["relative"], f["sha256"], f["rows"]) for c, r in ingested.items() for f in r["files"]],
        reference_tables=[(n, r["file"], r["sha256"], str(r.get("price_year") or "")) for n, r in references.items()],
        models=[(c, r["model"], r["version"]) for c, r in valued.items()],
        parameters={k: str(v) for k, v in run_parameters(layout, settings).items()},
        reconciliation=[
            (
                c,
                v["rows_read"],
                v["rows_valid"],
                v["rows_excluded"],
                v["rows_rejected"],
                valued.get(c, {}).get("rows_by_status", {}).get("unpriced", 0),
            )
            for c, v in validated.items()
        ],
    )
