"""Run parameters, set per run in the Dagster launchpad or by the ``nrledger`` command line."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import Field

from assets_pipeline.reference.tables import DEFAULT_REFERENCE_DIR

PROJECT_DIR = Path(__file__).resolve().parents[1]


class AccountsSettings(dg.ConfigurableResource):
    """Where the year's inventories are read from and its ledgers written to, and how they are valued."""

    input_dir: str = Field(
        default=str(PROJECT_DIR / "data" / "sample"),
        description="Folder of county deliveries: <input_dir>/<year>/<category>.<ext> or <input_dir>/<year>/<category>/*.<ext>.",
    )
    output_dir: str = Field(
        default=str(PROJECT_DIR / "data" / "output"),
        description="Folder the year's ledgers, workbooks and rejects are written to (<output_dir>/<year>/).",
    )
    reference_dir: str = Field(
        default=str(DEFAULT_REFERENCE_DIR),
        description="Folder of the reference tables (code lists and price tables); the province's own replace the samples.",
    )
    declared_area_unit: str = Field(
        default="m2",
        description="Unit of area columns whose header names no unit: m2 (survey convention), 亩/mu or 公顷/ha.",
    )
    xlsx_sheet: str = Field(
        default="",
        description="Sheet to read from .xlsx deliveries (default: the first sheet).",
    )
    mineral_model: str = Field(
        default="benchmark",
        description="Mineral valuation model: 'benchmark' (market benchmark price of the transfer income) or 'npv' (SEEA CF net present value).",
    )
    discount_rate: float | None = Field(
        default=None,
        description="Discount rate of the 'npv' mineral model (8% Chinese mining-right practice, 4% World Bank CWON); "
        "empty: discount_rate_npv of reference_tables/prices/mineral_parameters.csv for the year.",
    )
    unpriced_threshold: float = Field(
        default=0.01,
        description="Largest share of in-scope rows per category allowed to lack a price before the run's check fails.",
    )
    consistency_policy: str = Field(
        default="base-map-wins",
        description="How inconsistent parcels (不一致图斑, DOMAIN §2) are resolved: 'base-map-wins' (area, class, county "
        "and ownership from the land survey; inconsistent inventory rows set aside or conformed), 'inventory-wins' "
        "(the inventory's area and class stand and the base parcel is adjusted) or 'reject' (inconsistent rows and "
        "their base parcels are rejected with rule 'consistency'). See assets_pipeline/consistency.py.",
    )
    area_tolerance: float = Field(
        default=0.001,
        description="Share by which the inventory rows of one base parcel may exceed its area before the parcel is "
        "reported as area_exceeds_base (default 0.001 = 0.1 %).",
    )

    allow_missing_counties: list[str] = Field(
        default=[],
        description="County codes known to deliver no land survey this year (a county missing from the base map "
        "otherwise blocks publication, see assets_pipeline/deliveries.py).",
    )

    lang: str = Field(
        default="zh",
        description="Language of the report workbook: 'zh' (Chinese, default) or 'en' (English); the numbers are the same.",
    )

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """Hold the year's lock for the whole run (``year_lock``): a second run of the year is refused.

        The run's year is its partition key; a run without one (or over a range of years) takes no lock.
        """
        year = self._run_year(context)
        self.check(year)
        if context.run is not None and context.instance is not None:  # the run's parameters, shown on the run in the UI
            context.instance.add_run_tags(context.run.run_id, self.run_tags())
        if year is not None:
            from assets_pipeline.infra import year_lock

            year_lock.acquire(self.output_path(), year, run_id=context.run.run_id)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        year = self._run_year(context)
        if year is not None:
            from assets_pipeline.infra import year_lock

            year_lock.release(self.output_path(), year)

    def check(self, year: int | None = None) -> None:
        """Refuse, with a message, parameters no step could use, and deliveries that lead outside the input folder.

        A delivery that is a symbolic link to a file outside ``input_dir`` is refused: the run would read
        (and the manifest vouch for) a file the input folder does not hold.
        """
        from assets_pipeline.infra.errors import SettingsError

        choices = {"mineral_model": ("benchmark", "npv"), "lang": ("zh", "en"),
                   "consistency_policy": ("base-map-wins", "inventory-wins", "reject")}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise SettingsError(f"{name} must be one of {', '.join(allowed)}, not {getattr(self, name)!r}")
        if self.discount_rate is not None and not 0 < self.discount_rate < 1:
            raise SettingsError(f"discount_rate must be between 0 and 1, not {self.discount_rate}")
        if not 0 <= self.unpriced_threshold <= 1:
            raise SettingsError(f"unpriced_threshold must be between 0 and 1, not {self.unpriced_threshold}")
        if not 0 <= self.area_tolerance < 1:
            raise SettingsError(f"area_tolerance must be a share in [0, 1), not {self.area_tolerance}")
        odd = [c for c in self.allow_missing_counties if not (len(c) == 6 and c.isdigit())]
        if odd:
            raise SettingsError(f"allow_missing_counties takes 6-digit county codes, not {', '.join(map(repr, odd))}")
        for name in ("input_dir", "reference_dir"):
            if not Path(getattr(self, name)).expanduser().is_dir():
                raise SettingsError(f"{name} {getattr(self, name)} is not a folder")
        if year is not None:
            outside = links_outside(self.input_path(), self.input_path() / str(year))
            if outside:
                link, target = outside[0]
                raise SettingsError(f"{link} links to {target}, outside the input folder {self.input_path()}; "
                                    "copy the file into the input folder instead")

    def run_tags(self) -> dict[str, str]:
        """Tags of the run (filterable in the UI's run list): which province, from where to where, how valued."""
        return {"nrledger/province": self.province(), "nrledger/input_dir": str(self.input_path()),
                "nrledger/output_dir": str(self.output_path()), "nrledger/reference_dir": str(self.reference_path()),
                "nrledger/consistency_policy": self.consistency_policy, "nrledger/mineral_model": self.mineral_model}

    def province(self) -> str:
        """``code name`` of the province in the reference tables' admin divisions (``?`` where none is listed)."""
        import csv

        try:
            with open(self.reference_path() / "admin_divisions.csv", encoding="utf-8-sig", newline="") as f:
                for row in csv.DictReader(f):
                    if row.get("level") == "province":
                        return f"{row['region_code']} {row['name']}"
        except (OSError, KeyError, csv.Error):
            pass
        return "?"

    @staticmethod
    def _run_year(context: dg.InitResourceContext) -> int | None:
        run = context.run
        key = run.tags.get("dagster/partition") if run is not None else None
        return int(key) if key is not None and key.isdigit() else None

    def input_path(self) -> Path:
        return Path(self.input_dir).expanduser().resolve()

    def output_path(self) -> Path:
        return Path(self.output_dir).expanduser().resolve()

    def reference_path(self) -> Path:
        return Path(self.reference_dir).expanduser().resolve()


def links_outside(root: Path, folder: Path) -> list[tuple[Path, Path]]:
    """Symbolic links under ``folder`` (itself included) whose target is not inside ``root``."""
    import os

    root = root.resolve()
    found: list[tuple[Path, Path]] = []
    if not folder.exists() and not folder.is_symlink():
        return found
    candidates = [folder]
    for dirpath, dirnames, filenames in os.walk(folder):  # links to folders are listed, not walked into
        candidates += [Path(dirpath) / n for n in dirnames + filenames]
    for path in candidates:
        if path.is_symlink():
            target = path.resolve()
            if not target.is_relative_to(root):
                found.append((path, target))
    return found
