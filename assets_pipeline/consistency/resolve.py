"""One base map, no double counting (DOMAIN §2): find the inconsistent parcels (不一致图斑) and resolve them.

The land survey (category ``land``, one row per parcel) is the base map; the forest, grassland and wetland
inventories point at it by ``base_parcel_id``. This step reads the validated rows (in scope and excluded
alike) and the rows validation rejected, and writes

- ``<output>/<year>/inconsistencies.parquet``: one line per finding, with both sides' values;
- ``_stages/resolved/<category>/`` for forest, grassland and wetland: the rows the valuation models value, after
  the run's policy has been applied (the models read these instead of the validated rows); for land, only the
  parcels the policy changed, rejected or a finding names, and those it added (consistency/base_map.py lays
  them over the validated base map);
- under the ``reject`` policy, ``_stages/consistency/rejected|rejects/<category>/``: the rejected rows whole
  and their reject lines (rule ``consistency``), gathered into the year's rejects like any other.

The step goes in three parts: find the inconsistencies (consistency/findings.py), resolve them as the run's policy
says (consistency/policies.py), write what the later steps read (consistency/outputs.py).

No double counting, whatever the policy: per county, the state area over the land, forest, grassland and
wetland ledgers equals the base map's state area less consistency rejects and withheld area (plus the
inventory-wins adjustments), and no base parcel counts more than its surveyed area (inventory-wins: than the
inventory standing on it). Two blocking checks on ``ledger/physical`` recompute both from the validated files,
not from what this step wrote (consistency/base_map_checks.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from assets_pipeline.consistency.findings import find_inconsistencies, register_inputs
from assets_pipeline.consistency.outputs import write_findings, write_rejects, write_resolved
from assets_pipeline.consistency.policies import DEFAULT_POLICY, POLICIES, apply_policy
from assets_pipeline.infra.duck import connect
from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.infra.storage import write_json

DEFAULT_AREA_TOLERANCE = 0.001


@dataclass
class ConsistencyResult:
    policy: str
    area_tolerance: float
    findings: dict[str, dict[str, int]] = field(default_factory=dict)  # category -> finding type -> count
    area_m2: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    rejected_rows: dict[str, int] = field(default_factory=dict)

    def record(self) -> dict:
        return {
            "policy": self.policy,
            "area_tolerance": str(self.area_tolerance),
            "findings": self.findings,
            "area_m2": {c: {t: str(a) for t, a in by.items()} for c, by in self.area_m2.items()},
            "rejected_rows": self.rejected_rows,
        }


def run_consistency(
    layout: YearLayout,
    policy: str = DEFAULT_POLICY,
    area_tolerance: float = DEFAULT_AREA_TOLERANCE,
    base_map_refused: bool = False,
) -> ConsistencyResult:
    """Find the inconsistencies of the year, apply the policy and write the findings, the resolved rows the
    models value and (reject) the consistency rejects.

    When the land survey's delivery was refused (``base_map_refused``) there is no base map to compare the
    inventories with: every parcel would be found missing from it, and sent back to its county for a fault that
    is not the county's inventory. No finding is kept; the refusal is reported as such."""
    if policy not in POLICIES:
        raise ValueError(f"consistency policy must be one of {', '.join(POLICIES)}, not {policy!r}")
    if not 0 <= area_tolerance < 1:
        raise ValueError(f"area tolerance must be a share in [0, 1), not {area_tolerance!r}")
    result = ConsistencyResult(policy=policy, area_tolerance=area_tolerance)
    with connect(layout.stages / "duckdb_tmp") as con:
        register_inputs(con, layout, policy, area_tolerance)
        find_inconsistencies(con)
        if base_map_refused:
            con.execute("DELETE FROM findings")
        apply_policy(con)
        write_findings(con, layout)
        write_resolved(con, layout)
        result.rejected_rows = write_rejects(con, layout)
        for category, finding, n, area in con.execute(
            "SELECT category, finding_type, count(*), sum(area_m2) FROM findings GROUP BY ALL ORDER BY ALL"
        ).fetchall():
            result.findings.setdefault(category, {})[finding] = n
            result.area_m2.setdefault(category, {})[finding] = area
    write_json(result.record(), layout.record("consistency", "findings"))
    return result
