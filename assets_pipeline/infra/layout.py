"""Where every file of a year lives under the output folder.

``<output>/<year>/`` holds what users open (ledgers, workbooks, rejects, manifest); the stage files
assets hand each other live in ``<output>/<year>/_stages/`` (Parquet, one file per category and stage).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


def parts(folder: Path, prefix: str = "part") -> str:
    """The glob of a stage folder's parts, as DuckDB's read_parquet takes it."""
    return str(Path(folder) / f"{prefix}-*.parquet")


def part_files(folder: Path, prefix: str = "part") -> list[Path]:
    return sorted(Path(folder).glob(f"{prefix}-*.parquet"))


@dataclass(frozen=True)
class YearLayout:
    output_dir: Path
    year: int

    @property
    def root(self) -> Path:
        return Path(self.output_dir) / str(self.year)

    @property
    def stages(self) -> Path:
        return self.root / "_stages"

    def reference(self, table: str) -> Path:
        return self.stages / "reference" / f"{table}.parquet"

    # Stage folders hold one Parquet part per delivered file (or row-group range), written by
    # parallel workers; readers take them all with ``parts()``.
    def ingested(self, category: str) -> Path:
        return self.stages / "ingested" / category

    def geometry(self, category: str) -> Path:
        """A layer delivery's geometry beside its ingested rows (DOMAIN §6): ``part-NNNNN.parquet`` keyed by
        ``_row_id`` (WKB in the county's Gauss-Krüger zone), ``repairs-NNNNN.parquet`` for repaired polygons."""
        return self.stages / "geometry" / category

    @property
    def overlay(self) -> Path:
        """The overlay's outputs (DOMAIN §6): zone areas, price weights, inventory links and pieces, overlaps."""
        return self.stages / "overlay"

    def validated(self, category: str) -> Path:
        return self.stages / "validated" / category

    def rejected_rows(self, category: str) -> Path:
        return self.stages / "rejected" / category

    def reject_lines(self, category: str) -> Path:
        return self.stages / "rejects" / category

    def valued(self, category: str) -> Path:
        return self.root / "valued" / f"{category}.parquet"

    @property
    def ledger_physical(self) -> Path:
        return self.root / "ledger_physical.parquet"

    @property
    def ledger_value(self) -> Path:
        return self.root / "ledger_value.parquet"

    # ledger items broken down by age group and land group (DOMAIN §5), see ledger.py
    @property
    def breakdown_physical(self) -> Path:
        return self.root / "breakdown_physical.parquet"

    @property
    def breakdown_value(self) -> Path:
        return self.root / "breakdown_value.parquet"

    # balance accounts against last year (DOMAIN §5), see balance.py
    @property
    def balance_physical(self) -> Path:
        return self.root / "balance_physical.parquet"

    @property
    def balance_value(self) -> Path:
        return self.root / "balance_value.parquet"

    @property
    def land_transitions(self) -> Path:
        return self.root / "land_transitions.parquet"

    @property
    def unpriced(self) -> Path:
        return self.root / "unpriced.parquet"

    def report(self) -> Path:
        return self.root / f"report_{self.year}.xlsx"

    @property
    def manifest(self) -> Path:
        return self.root / "manifest.json"

    def record(self, stage: str, name: str) -> Path:
        """A step's small JSON record (files and hashes, counts) that the manifest gathers."""
        return self.stages / "records" / f"{stage}_{name}.json"

    # One base map (DOMAIN §2): the rows the models value after the consistency policy, the findings,
    # and the rows the ``reject`` policy set aside.
    def resolved(self, category: str) -> Path:
        return self.stages / "resolved" / category

    def consistency_rejected_rows(self, category: str) -> Path:
        return self.stages / "consistency" / "rejected" / category

    def consistency_reject_lines(self, category: str) -> Path:
        return self.stages / "consistency" / "rejects" / category

    @property
    def inconsistencies(self) -> Path:
        return self.root / "inconsistencies.parquet"

    @property
    def spatial_findings(self) -> Path:
        """The overlay's findings (DOMAIN §6: inconsistent pieces, zone areas stated otherwise, overlapping base
        parcels), one line each; written only for a year with an overlay."""
        return self.root / "spatial_findings.parquet"

    @property
    def inconsistencies_workbook(self) -> Path:
        return self.root / f"inconsistencies_{self.year}.xlsx"

    @property
    def scorecard(self) -> Path:
        return self.root / "scorecard.parquet"

    @property
    def rejects_parquet(self) -> Path:
        return self.root / "rejects.parquet"

    @property
    def rejects_workbook(self) -> Path:
        return self.root / f"rejects_{self.year}.xlsx"
