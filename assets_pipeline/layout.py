"""Where every file of a year lives under the output folder.

``<output>/<year>/`` holds what users open (ledgers, workbooks, rejects, manifest); the stage files
assets hand each other live in ``<output>/<year>/_stages/`` (Parquet, one file per category and stage).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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

    def ingested(self, category: str) -> Path:
        return self.stages / "ingested" / f"{category}.parquet"

    def unparsed(self, category: str) -> Path:
        return self.stages / "ingested" / f"{category}_unparsed.parquet"

    def validated(self, category: str) -> Path:
        return self.stages / "validated" / f"{category}.parquet"

    def rejected_rows(self, category: str) -> Path:
        return self.stages / "rejected" / f"{category}.parquet"

    def reject_lines(self, category: str) -> Path:
        return self.stages / "rejects" / f"{category}.parquet"

    def valued(self, category: str) -> Path:
        return self.root / "valued" / f"{category}.parquet"

    @property
    def ledger_physical(self) -> Path:
        return self.root / "ledger_physical.parquet"

    @property
    def ledger_value(self) -> Path:
        return self.root / "ledger_value.parquet"

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

    @property
    def rejects_parquet(self) -> Path:
        return self.root / "rejects.parquet"

    @property
    def rejects_workbook(self) -> Path:
        return self.root / f"rejects_{self.year}.xlsx"
