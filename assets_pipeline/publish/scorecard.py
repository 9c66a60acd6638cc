"""The county scorecard as shown with a run: the counties to call first, shares as percentages."""

from __future__ import annotations

from assets_pipeline.publish.quality import SCORECARD_COLUMNS

SHARE_COLUMNS = {i for i, (name, _, _) in enumerate(SCORECARD_COLUMNS) if name.endswith("_share")}


def counties_to_call(rows: list[tuple], limit: int = 20) -> tuple[list[str], list[list]]:
    """The scorecard's Chinese headers and its first ``limit`` rows (worst first), shares as percentages."""
    shown = [
        [f"{v:.2%}" if i in SHARE_COLUMNS else ("" if v is None else v) for i, v in enumerate(r)] for r in rows[:limit]
    ]
    return [zh for _, zh, _ in SCORECARD_COLUMNS], shown
