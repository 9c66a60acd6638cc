"""The code lists a year's validation checks against, read from the year's reference snapshots."""

from __future__ import annotations

from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.reference.snapshots import snapshot_frame
from assets_pipeline.reference.tables import TABLES, ReferenceTable
from assets_pipeline.validate.rows import CODE_LIST_TABLES, CodeLists


def load_code_lists(layout: YearLayout) -> CodeLists:
    """Code lists from the year's reference snapshots, the rows the reference assets recorded."""
    tables = {
        name: ReferenceTable(
            spec=TABLES[name], path=layout.reference(name), frame=snapshot_frame(layout.reference(name)), sha256=""
        )
        for name in CODE_LIST_TABLES
    }
    return CodeLists.from_reference(tables)
