"""Metadata an auditor reads in the Dagster UI: schemas, file lists, counts as Markdown tables."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import dagster as dg
import pyarrow as pa

from assets_pipeline.schema.labels import MEMO_NAMES


def table_schema(schema: pa.Schema, descriptions: dict[str, str] | None = None) -> dg.TableSchema:
    """A file's columns with their types and, where known, what they hold (``descriptions`` first, then the
    published columns' own, ``COLUMN_DESCRIPTIONS``, then the inventories' columns, ``categories.py``)."""
    known = {**_inventory_descriptions(), **COLUMN_DESCRIPTIONS, **(descriptions or {})}
    return dg.TableSchema(
        columns=[dg.TableColumn(f.name, str(f.type), description=known.get(f.name) or None) for f in schema]
    )


def _inventory_descriptions() -> dict[str, str]:
    from assets_pipeline.schema.categories import SPECS

    return {c.name: c.description for spec in SPECS.values() for c in spec.columns if c.description}


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    def cell(v: object) -> str:
        text = (
            f"{v:,.2f}"
            if isinstance(v, float)
            else f"{v:,}"
            if isinstance(v, int) and not isinstance(v, bool)
            else str(v)
        )
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


# Descriptions of the published files' columns, shown with each asset's schema in the UI (an inventory's own
# columns are described by its category's spec, categories.py, which comes first).
COLUMN_DESCRIPTIONS = {
    "year": "accounting year",
    "region_code": "6-digit region code (county, city or province, admin_divisions.csv)",
    "region_name": "region name",
    "region_level": "county, city or province; city and province cells are sums of published county cells",
    "parent_code": "code of the region one level up",
    "city_code": "code of the county's city",
    "category": "resource category: land, minerals, forest, grassland, wetland, water",
    "item_code": "ledger item (land class, forest land class, grassland type, wetland class, water source, mineral|resource class)",
    "item_name": "item name in Chinese",
    "item_name_en": "item name in English",
    "subject": "exercising subject 所有权行使主体 (central, provincial, municipal; DOMAIN §5)",
    "subject_name": "exercising subject in Chinese",
    "subject_source": "where the subject came from: 'rule' (exercising_subject_rules.csv) or 'input' (the delivery)",
    "indicator": "physical indicator (area, stock, volume …)",
    "unit": "unit of the indicator in Chinese",
    "unit_en": "unit of the indicator in English",
    "component": "value component (land, trees, water …)",
    "quantity": "published quantity, rounded half-up to 2 decimals per county",
    "quantity_unrounded": "exact quantity before publication rounding",
    "value_wan_yuan": "published value in 万元, rounded half-up to 2 decimals per county",
    "value_wan_yuan_unrounded": "exact value in 万元 before publication rounding",
    "value_yuan": "the row's value in 元, exact: quantity × the key's unit value (DECIMAL(38,12))",
    "status": "valued, unpriced (no price for the key) or excluded (with status_reason)",
    "status_reason": "why a row is unpriced or excluded",
    "reason": "why the row has no price",
    "price_table": "price table that valued the row (reference_tables/prices/)",
    "price_key": "the key looked up in the price table",
    "price_level": "region level of the price row used (county, city, province fallback)",
    "price_region": "region of the price row used",
    "price_year": "year of the price row used",
    "price_unit": "unit of the price",
    "unit_price": "unit value of the key: unit conversion × price [× corrections], 10 decimals",
    "model": "valuation model (valuation_models/<model>.sql)",
    "model_version": "version of the valuation model",
    "_source_file": "delivered file the row came from (relative to the input folder)",
    "_source_row": "row in that file as the county sees it (CSV line, Excel row, Parquet record)",
    "_row_id": "the row's id within the year's deliveries",
    "source_file": "delivered file (relative to the input folder)",
    "source_row": "row in that file as the county sees it (CSV line, Excel row, Parquet record)",
    "column": "column of the delivered file",
    "value": "the value as delivered",
    "rule": "validation rule the row broke",
    "message_zh": "message in Chinese",
    "message_en": "message in English",
    "has_opening": "whether last year's outputs were there to open the account",
    "opening": "published opening (last year's published closing)",
    "closing": "published closing (this year's ledger)",
    "additions": "sum of the kinds of additions",
    "reductions": "sum of the kinds of reductions",
    "volume_change": "value change from volume: closing − opening − revaluation",
    "revaluation": "value change from prices: q0·(p1 − p0) row by row",
    "other_changes_in_volume": "gap left between the flows and the observed change (counted in additions)",
    "area_m2": "area in m²",
    "area_ha": "published area in 公顷",
    "finding_type": "kind of base-map inconsistency (不一致图斑, DOMAIN §2)",
    "action": "what the consistency policy did",
}
for _flow, _what in (
    ("additions_new", "new ids"),
    ("additions_reclassified_in", "reclassified in from another cell"),
    ("additions_increase", "increase of the same id and cell (area, growth, upward reappraisal)"),
    ("additions_discovered", "discovered (minerals)"),
    ("reductions_removed", "ids gone from the state ledger"),
    ("reductions_reclassified_out", "reclassified out to another cell"),
    ("reductions_decrease", "decrease of the same id and cell (harvest included)"),
    ("reductions_extracted", "extracted (minerals)"),
):
    COLUMN_DESCRIPTIONS[_flow] = f"{_what}, published"
for _factor in ("unit", "date", "plot_ratio", "equity", "annuity", "recovery"):
    COLUMN_DESCRIPTIONS[f"factor_{_factor}"] = (
        f"{_factor.replace('_', ' ')} factor applied to the price (valuation model)"
    )
COLUMN_DESCRIPTIONS["priced_on"] = "the quantity the price applies to"
COLUMN_DESCRIPTIONS["consistency_findings"] = "base-map findings on the row (不一致图斑, DOMAIN §2)"
for _memo, _zh in MEMO_NAMES["zh"].items():
    COLUMN_DESCRIPTIONS[f"quantity_{_memo}"] = f"of which within {_zh} ({_memo}), published"
    COLUMN_DESCRIPTIONS[f"value_{_memo}_wan_yuan"] = f"of which within {_zh} ({_memo}), 万元, published"
    COLUMN_DESCRIPTIONS[f"{_memo}_share"] = f"share of the parcel within {_zh} ({_memo})"
for _name in list(COLUMN_DESCRIPTIONS):
    if (
        _name.startswith(
            (
                "opening",
                "closing",
                "volume_change",
                "revaluation",
                "other_changes",
                "quantity_",
                "value_",
                "additions_",
                "reductions_",
            )
        )
        and not _name.endswith("_unrounded")
        and f"{_name}_unrounded" not in COLUMN_DESCRIPTIONS
    ):
        COLUMN_DESCRIPTIONS[f"{_name}_unrounded"] = f"{COLUMN_DESCRIPTIONS[_name].replace(', published', '')}, exact"


def source_version(*parts: str) -> str:
    """A code version from the source that computes an asset: each part is a module (``defs/ledgers``) or a
    stage package (``ledgers``, every ``.py`` and ``.sql`` file in it), relative to the package. A change to
    that code, and only to it, marks the asset stale in the UI."""
    import hashlib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for name in parts:
        target = root / name
        files = (
            sorted(f for f in target.rglob("*") if f.suffix in (".py", ".sql"))
            if target.is_dir()
            else [target.with_suffix(".py")]
        )
        for f in files:
            digest.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes())
    return f"src-{digest.hexdigest()[:12]}"


def file_data_version(path) -> dg.DataVersion:
    """The data version of a published file: its SHA-256, the hash the manifest lists for it."""
    from assets_pipeline.ingest.delivered import sha256_of

    return dg.DataVersion(sha256_of(path))
