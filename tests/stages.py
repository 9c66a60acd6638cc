"""Run the pipeline's steps directly (without Dagster) for tests that look at one step's figures."""

from pathlib import Path

import pandas as pd

from assets_pipeline.consistency.resolve import run_consistency
from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.infra.storage import write_parquet
from assets_pipeline.ingest.canonical import ingest_category
from assets_pipeline.reference.tables import load_reference
from assets_pipeline.schema.categories import CATEGORIES
from assets_pipeline.validate.codes import CodeLists
from assets_pipeline.validate.rows import validate_category
from assets_pipeline.valuation.models import value_category


def snapshot_reference(layout: YearLayout) -> None:
    for name, table in load_reference().items():
        write_parquet(table.to_arrow(layout.year), layout.reference(name))


def compile_stages(
    inputs: Path,
    out: Path,
    year: int,
    mineral_model="benchmark",
    discount_rate=None,
    parallel: bool | None = None,
    consistency_policy: str | None = None,
) -> YearLayout:
    """Ingest, validate and value a year with the pipeline's functions; with ``consistency_policy`` the
    base-map consistency step runs between validation and valuation, as in the Dagster job."""
    layout = YearLayout(out, year)
    snapshot_reference(layout)
    codes = CodeLists.from_reference(load_reference())
    for category in CATEGORIES:
        ingest_category(category, inputs, year, layout.ingested(category), parallel=parallel)
        validate_category(category, layout, codes, parallel=parallel)
    if consistency_policy:
        run_consistency(layout, consistency_policy)
    for category in CATEGORIES:
        value_category(
            category, layout, layout.valued(category), mineral_model=mineral_model, discount_rate=discount_rate
        )
    return layout


def valued(layout: YearLayout, category: str) -> pd.DataFrame:
    return pd.read_parquet(layout.valued(category))
