"""Figures read back from the published ledgers: the province's totals shown with a run, and the sums that
check the ledgers against the valued rows they were built from (DOMAIN §5)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from assets_pipeline.infra import sql
from assets_pipeline.infra.duck import connect
from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.ledgers.memos import MEMOS
from assets_pipeline.schema.categories import CATEGORIES


def row_count(path: Path) -> int:
    """Rows of a Parquet file."""
    with connect() as con:
        return con.execute("SELECT count(*) FROM read_parquet($p)", {"p": str(path)}).fetchone()[0]


def detail_sums(layout: YearLayout) -> list[tuple]:
    """Per category: exact value of the valued rows vs the ledger's county cells (unrounded), and the
    province's published total vs the sum of its counties' published cells."""
    paths = [str(layout.valued(c)) for c in CATEGORIES if layout.valued(c).exists()]
    with connect() as con:
        return con.execute(
            sql.load(__file__, "detail_sums"), {"valued": paths, "ledger": str(layout.ledger_value)}
        ).fetchall()


def province_value_totals(layout: YearLayout) -> list[tuple[str, str, Decimal]]:
    """The province's published value per category and component (万元)."""
    with connect() as con:
        return con.execute(
            "SELECT category, component, sum(value_wan_yuan) FROM read_parquet($p) WHERE region_level = 'province' "
            "GROUP BY ALL ORDER BY ALL",
            {"p": str(layout.ledger_value)},
        ).fetchall()


def province_physical_preview(layout: YearLayout, limit: int = 60) -> list[tuple]:
    """The province's quantities per category, item, indicator and unit (the first ``limit``)."""
    with connect() as con:
        return con.execute(
            "SELECT category, item_name, indicator, unit, sum(quantity) FROM read_parquet($p) "
            "WHERE region_level = 'province' GROUP BY ALL ORDER BY ALL LIMIT $limit",
            {"p": str(layout.ledger_physical), "limit": limit},
        ).fetchall()


def province_memo_totals(layout: YearLayout) -> dict[str, tuple[Decimal, dict[str, Decimal]]]:
    """Per category: the province's published total and each memo item's ("of which") total (万元)."""
    query = (
        "SELECT category, coalesce(sum({column}), 0) FROM read_parquet($p) WHERE region_level = 'province' GROUP BY ALL"
    )
    with connect() as con:

        def by_category(column: str) -> dict[str, Decimal]:
            text = sql.render(query, column=sql.identifier(column))
            return dict(con.execute(text, {"p": str(layout.ledger_value)}).fetchall())

        totals = by_category("value_wan_yuan")
        memos = {m: by_category(f"value_{m}_wan_yuan") for m in MEMOS}
    return {c: (total, {m: memos[m][c] for m in MEMOS}) for c, total in totals.items()}


def province_balance_totals(path: Path) -> list[tuple]:
    """The province's value balance per category: opening, volume change, revaluation, closing (万元)."""
    with connect() as con:
        return con.execute(
            "SELECT category, sum(opening), sum(volume_change), sum(revaluation), sum(closing) "
            "FROM read_parquet($p) WHERE region_level = 'province' GROUP BY ALL ORDER BY ALL",
            {"p": str(path)},
        ).fetchall()
