"""Run parameters, set per run in the Dagster launchpad or by the ``nrledger`` command line.

``AccountsSettings`` is the one description of a run's parameters: its fields (type, default, description) are
the Dagster resource's config, the command line's options and help (``cli.options``), and the parameters the
manifest records. The choices are enumerations whose members are named by their own values, so the launchpad,
the command line and the manifest all speak the same words (``base-map-wins``, ``亩``…).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import dagster as dg
from pydantic import ConfigDict, Field

from assets_pipeline.infra.errors import SettingsError
from assets_pipeline.reference.tables import DEFAULT_REFERENCE_DIR
from assets_pipeline.schema.categories import AREA_UNITS

PROJECT_DIR = Path(__file__).resolve().parents[1]


class MineralModel(StrEnum):
    """How mineral resources are valued (DOMAIN §4)."""

    benchmark = "benchmark"
    npv = "npv"


class ReportLanguage(StrEnum):
    """Language of the report workbook; its figures are the same in both."""

    zh = "zh"
    en = "en"


# Members named by their values (the words users type; "base-map-wins" is no Python name, so the functional form).
ConsistencyPolicy = StrEnum("ConsistencyPolicy", [(p, p) for p in ("base-map-wins", "inventory-wins", "reject")])
ConsistencyPolicy.__doc__ = "How parcels inconsistent with the base map (不一致图斑, DOMAIN §2) are resolved."
AreaUnit = StrEnum("AreaUnit", [(u, u) for u in AREA_UNITS])
AreaUnit.__doc__ = "A spelling of an area unit a delivery may declare (schema.categories.AREA_UNITS)."

CHOICES: dict[str, type[StrEnum]] = {
    "declared_area_unit": AreaUnit,
    "mineral_model": MineralModel,
    "lang": ReportLanguage,
    "consistency_policy": ConsistencyPolicy,
}


def option(flag: str, *, run_only: bool = False, required: bool = False, metavar: str | None = None) -> dict:
    """How a setting is given to ``nrledger run`` and ``validate``: its option, whether ``validate`` (which values
    nothing and writes no workbook) takes it too, and whether the command line requires it."""
    return {"option": flag, "run_only": run_only, "required": required, "metavar": metavar}


class AccountsSettings(dg.ConfigurableResource):
    """Where the year's inventories are read from and its ledgers written to, and how they are valued.

    A choice is checked against its enumeration and kept as its value, a plain string: the steps, the run's
    metadata and the manifest take it as text.
    """

    model_config = ConfigDict(use_enum_values=True, validate_default=True)

    input_dir: str = Field(
        default=str(PROJECT_DIR / "data" / "sample"),
        description="Folder of county deliveries: <input_dir>/<year>/<category>.<ext> or <input_dir>/<year>/<category>/*.<ext>.",
        json_schema_extra=option("--input-dir", required=True),
    )
    output_dir: str = Field(
        default=str(PROJECT_DIR / "data" / "output"),
        description="Folder the year's ledgers, workbooks and rejects are written to (<output_dir>/<year>/).",
        json_schema_extra=option("--output-dir", required=True),
    )
    reference_dir: str = Field(
        default=str(DEFAULT_REFERENCE_DIR),
        description="Folder of the reference tables (code lists and price tables); the province's own replace the samples.",
        json_schema_extra=option("--reference-dir"),
    )
    declared_area_unit: AreaUnit = Field(
        default=AreaUnit("m2"),
        description="Unit of area columns whose header names no unit: m2 (survey convention), 亩/mu or 公顷/ha.",
        json_schema_extra=option("--area-unit"),
    )
    mineral_model: MineralModel = Field(
        default=MineralModel.benchmark,
        description="Mineral valuation model: 'benchmark' (market benchmark price of the transfer income) or 'npv' (SEEA CF net present value).",
        json_schema_extra=option("--mineral-model", run_only=True),
    )
    discount_rate: float | None = Field(
        default=None,
        description="Discount rate of the 'npv' mineral model (8% Chinese mining-right practice, 4% World Bank CWON); "
        "unset: discount_rate_npv of reference_tables/prices/mineral_parameters.csv for the year.",
        json_schema_extra=option("--discount-rate", run_only=True),
    )
    unpriced_threshold: float = Field(
        default=0.01,
        description="Largest share of in-scope rows per category allowed to lack a price before the run's check fails.",
        json_schema_extra=option("--unpriced-threshold", run_only=True),
    )
    lang: ReportLanguage = Field(
        default=ReportLanguage.zh,
        description="Language of the report workbook: 'zh' (Chinese, default) or 'en' (English); the numbers are the same.",
        json_schema_extra=option("--lang", run_only=True),
    )
    xlsx_sheet: str = Field(
        default="",
        description="Sheet to read from .xlsx deliveries (default: the first sheet).",
        json_schema_extra=option("--sheet"),
    )
    layer: str = Field(
        default="",
        description="Layer to read from layer deliveries holding several (GeoPackage, FileGDB) when none is named for "
        "the category (DLTB, SLZYZC, CYZYZC, SDZYZC); default: refuse and list the layers (DOMAIN §6).",
        json_schema_extra=option("--layer"),
    )
    crs: str = Field(
        default="",
        description="Coordinate system of layer deliveries that carry none (e.g. EPSG:4545, a CGCS2000 Gauss-Krüger "
        "zone); default: such a layer is refused. A declared system never overrides one the layer carries (DOMAIN §6).",
        json_schema_extra=option("--crs"),
    )
    zone_tolerance: float = Field(
        default=0.01,
        description="Share of a parcel's area by which a delivered zone area (STBHHXMJ …) may differ from the one "
        "computed from the zone layers before it is reported as a finding (default 0.01 = 1 %; DOMAIN §6).",
        json_schema_extra=option("--zone-tolerance"),
    )
    allow_partial: bool = Field(
        default=False,
        description="Publish a year's national ledgers although a province whose input folder holds the year has no "
        "complete published outputs; the nation's files and workbook are then marked partial (DOMAIN §7).",
        json_schema_extra=option("--allow-partial", run_only=True),
    )
    consistency_policy: ConsistencyPolicy = Field(
        default=ConsistencyPolicy("base-map-wins"),
        description="How inconsistent parcels (不一致图斑, DOMAIN §2) are resolved: 'base-map-wins' (area, class, county "
        "and ownership from the land survey; inconsistent inventory rows set aside or conformed), 'inventory-wins' "
        "(the inventory's area and class stand and the base parcel is adjusted) or 'reject' (inconsistent rows and "
        "their base parcels are rejected with rule 'consistency'). See assets_pipeline/consistency/resolve.py.",
        json_schema_extra=option("--consistency-policy"),
    )
    area_tolerance: float = Field(
        default=0.001,
        description="Share by which the inventory rows of one base parcel may exceed its area before the parcel is "
        "reported as area_exceeds_base (default 0.001 = 0.1 %).",
        json_schema_extra=option("--area-tolerance"),
    )
    allow_missing_counties: list[str] = Field(
        default=[],
        description="County codes known to deliver no land survey this year (repeatable; a county missing from the "
        "base map otherwise blocks publication, see assets_pipeline/ingest/deliveries.py).",
        json_schema_extra=option("--allow-missing-county", metavar="CODE"),
    )

    def __init__(self, **config) -> None:
        # a choice outside its enumeration is refused in the words of ``check``, not as a validation traceback
        for name, choices in CHOICES.items():
            value = config.get(name)
            if value is not None and value not in {c.value for c in choices}:
                raise SettingsError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
        super().__init__(**config)

    def record(self) -> dict[str, str]:
        """The parameters as the manifest and the report's cover record them: every field as text, in field order
        (no discount rate: empty; the counties: comma-separated)."""
        record = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value is None:
                value = ""
            elif isinstance(value, list):
                value = ", ".join(value)
            record[name] = str(value)
        return record

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """Hold the province-year's lock for the whole run (``year_lock``): a second run of it is refused.

        The run's province and year are its partition key; a run without one (or over a range) takes no lock.
        """
        province, year = self._run_partition(context)
        self.check(year, province)
        if context.run is not None and context.instance is not None:  # the run's parameters, shown on the run in the UI
            context.instance.add_run_tags(context.run.run_id, self.run_tags(province))
        if year is not None:
            from assets_pipeline.infra import year_lock

            year_lock.acquire(self.province_output(province), year, run_id=context.run.run_id)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        province, year = self._run_partition(context)
        if year is not None:
            from assets_pipeline.infra import year_lock

            year_lock.release(self.province_output(province), year)

    def check(self, year: int | None = None, province: str | None = None) -> None:
        """Refuse, with a message, parameters no step could use, and deliveries that lead outside the input folder.

        A delivery that is a symbolic link to a file outside ``input_dir`` is refused: the run would read
        (and the manifest vouch for) a file the input folder does not hold.
        """
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
        if province is not None:
            self.check_province(province)
        if year is not None:
            outside = links_outside(self.input_path(), self.province_input(province) / str(year))
            if outside:
                link, target = outside[0]
                raise SettingsError(
                    f"{link} links to {target}, outside the input folder {self.input_path()}; "
                    "copy the file into the input folder instead"
                )

    def run_tags(self, province: str | None = None) -> dict[str, str]:
        """Tags of the run (filterable in the UI's run list): which province, from where to where, how valued."""
        return {
            "nrledger/province": self.province(province),
            "nrledger/input_dir": str(self.province_input(province)),
            "nrledger/output_dir": str(self.province_output(province)),
            "nrledger/reference_dir": str(self.reference_path()),
            "nrledger/consistency_policy": self.consistency_policy,
            "nrledger/mineral_model": self.mineral_model,
        }

    def province(self, code: str | None = None) -> str:
        """``code name`` of the province (the run's, else the one of the reference tables' admin divisions; ``?``
        where none is listed)."""
        import csv

        if code is not None:
            from assets_pipeline.reference.tables import DEFAULT_REFERENCE_DIR

            divisions = [
                self.reference_path() / code / "admin_divisions.csv",
                DEFAULT_REFERENCE_DIR / "admin_divisions_cn.csv",
            ]
        else:
            divisions = [self.reference_path() / "admin_divisions.csv"]
        for path in divisions:
            try:
                with open(path, encoding="utf-8-sig", newline="") as f:
                    for row in csv.DictReader(f):
                        if row.get("level") == "province" and (code is None or row["region_code"] == code):
                            return f"{row['region_code']} {row['name']}"
            except (OSError, KeyError, csv.Error):
                continue
        return f"{code} ?" if code else "?"

    def single_province(self) -> str | None:
        """The province code of the reference tables' own divisions: the province a single-province input folder
        (``<input-dir>/<year>/``) belongs to unless the run names another (``nrledger run --province``)."""
        code = self.province().split(" ")[0]
        return None if code == "?" else code

    def is_nation(self, province: str | None) -> bool:
        """A nation's input folder holds a folder per province (``<input-dir>/<province>/<year>/``)."""
        return province is not None and (self.input_path() / province).is_dir()

    def province_input(self, province: str | None) -> Path:
        """``<input-dir>/<province>/`` in a nation's input folder, else the input folder itself (DOMAIN §7)."""
        return self.input_path() / province if self.is_nation(province) else self.input_path()

    def province_output(self, province: str | None) -> Path:
        """``<output-dir>/<province>/`` for a nation's input folder, else the output folder itself: a single
        province's outputs stay where they always were, ``<output-dir>/<year>/``."""
        return self.output_path() / province if self.is_nation(province) else self.output_path()

    def check_province(self, province: str) -> None:
        """A province the input folder does not hold is refused: neither a folder of its own nor the single province
        the folder's deliveries belong to. A single-province folder is the reference tables' own province, or a
        province the reference folder holds its own divisions for (``<reference-dir>/<province>/admin_divisions.csv``):
        one province of a nation compiled alone, priced with its own tables (DOMAIN §7)."""
        if self.is_nation(province) or not self.input_path().is_dir():  # a missing input folder: check() says so
            return
        single = self.single_province()
        if (self.reference_path() / province / "admin_divisions.csv").is_file():
            single = province
        held = sorted(
            p.name for p in self.input_path().iterdir() if p.is_dir() and p.name.isdigit() and len(p.name) == 6
        )
        if held or single != province:
            raise SettingsError(
                f"the input folder {self.input_path()} holds no deliveries of province {province}: "
                + (f"its province folders are {', '.join(held)}" if held else f"it is the single province {single}")
            )

    @staticmethod
    def _run_partition(context: dg.InitResourceContext) -> tuple[str | None, int | None]:
        run = context.run
        if run is None:
            return None, None
        year = run.tags.get("dagster/partition/year")
        province = run.tags.get("dagster/partition/province")
        return province, (int(year) if year is not None and year.isdigit() else None)

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
