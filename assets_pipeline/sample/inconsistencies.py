"""Inconsistencies between the base map and the inventories (DOMAIN §2), planted per county and inventory on base
parcels whose rows are all clean, and listed with what a run must find."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from assets_pipeline.sample.counties import County
from assets_pipeline.sample.defects import OWNERSHIP_COLUMN, Planted, replace_cells
from assets_pipeline.sample.delivered_tables import id_text, parcel_ids
from assets_pipeline.sample.province_figures import INVENTORIES, M2_PER_MU, STATE_OWNERSHIP
from assets_pipeline.sample.streams import stochastic_round

# Inconsistencies between the base map and the inventories (DOMAIN §2), planted per county and inventory on
# base parcels whose rows are all clean; see plant_inconsistencies. Kinds are the finding types of
# assets_pipeline.consistency.
DEFAULT_INCONSISTENCY_SHARE = 0.005
INCONSISTENCY_KINDS = (
    "missing_base",
    "class_mismatch",
    "area_exceeds_base",
    "ownership_mismatch",
    "county_mismatch",
    "missing_inventory",
)
INCONSISTENCY_COLUMNS = ["region_code", "category", "finding_type", "base_parcel_id", "parcel_id", "area_m2"]
MISMATCHED_CLASS = "0103"  # 旱地 on the base map under an inventory row (the DOMAIN §2 example)
SHRUNK_BASE_SHARE = 0.9  # the base parcel recorded at 90 % of what its inventory rows cover
COLLECTIVE_CODE = "30"  # 集体土地所有权, under state inventory rows
MISSING_BASE_SERIAL = 9_900_000_000  # serials no county uses: base parcels that do not exist …
UNDESCRIBED_SERIAL = 9_800_000_000  # … and base parcels appended without an inventory row
# A state grassland base parcel without an inventory row is unpriced (type and grade unknown, DOMAIN §2), and a run
# fails when a category's unpriced rows pass --unpriced-threshold (default 0.01) of its in-scope rows. The sample
# keeps such parcels to at most half that share of each year's state grassland rows, so a sample of any size compiles
# with the defaults; the other base parcels of this kind are planted on collective land (reported, not in scope).
UNPRICED_WITHOUT_INVENTORY = ("grassland",)
UNPRICED_PLANTED_SHARE = 0.005


@dataclass
class UnpricedBudget:
    """How many unpriced rows a year's sample may still plant: at most ``share`` of the in-scope rows counted so far.

    Counties are written one after the other, so the year's budget grows with each county's in-scope rows (counted
    low: only clean state rows on untouched state base parcels) and the planted unpriced rows never pass ``share``
    of the year's in-scope rows, however small the province."""

    share: float = UNPRICED_PLANTED_SHARE
    in_scope: int = 0
    planted: int = 0

    def allowance(self, more_in_scope: int) -> int:
        """Unpriced rows a county with ``more_in_scope`` in-scope rows may plant; counts those rows in."""
        self.in_scope += more_in_scope
        return max(0, int(np.floor(self.share * self.in_scope + 1e-9)) - self.planted)


def plant_inconsistencies(
    tables: dict[str, tuple[pa.Table, Planted]],
    base_category: np.ndarray,
    county: County,
    share: float,
    rng: np.random.Generator,
    budgets: dict[str, UnpricedBudget] | None = None,
) -> pd.DataFrame:
    """Plant each kind of inconsistency on about ``share`` of the county's base parcels of each inventory, and
    return what a run must find (county, category, finding type, base parcel, inventory row, area in m²).

    Only base parcels whose inventory rows are all clean are used, each for one kind, so every planted finding is
    found exactly once and no dirty row changes. Rows are changed in place or appended at the end, so the row
    numbers of the planted dirty rows stay what ``planted_<year>.csv`` says:

    - missing_base: a copy of an inventory row pointing at a base parcel that does not exist (appended);
    - class_mismatch: the base parcel recorded as 0103 旱地;
    - area_exceeds_base: the base parcel recorded at 90 % of its area (its red-line area capped to it);
    - ownership_mismatch: a state base parcel under state inventory rows recorded collective (30);
    - county_mismatch: the inventory rows recorded in another county;
    - missing_inventory: a copy of a base parcel that no inventory row describes (appended). Where such a parcel
      is unpriced (UNPRICED_WITHOUT_INVENTORY), state parcels are taken only within the year's ``budgets`` of that
      category and collective ones otherwise, so the count of the kind stays ``share`` of the base parcels.
    """
    budgets = budgets if budgets is not None else {}
    land, land_planted = tables["land"]
    factor = M2_PER_MU if county.delivery.area_unit == "mu" else 1.0
    base_ids = np.asarray(land.column("parcel_id").to_pylist(), dtype=object)
    base_area = land.column("area_m2").to_numpy(zero_copy_only=False).astype(float)
    base_state = pc.is_in(land.column("ownership"), value_set=pa.array(sorted(STATE_OWNERSHIP))).to_numpy(
        zero_copy_only=False
    )
    land_dirty = np.zeros(land.num_rows, dtype=bool)
    land_dirty[land_planted.rows] = True
    # a county code of the same province (its capital's districts: xx0105, else xx0106)
    other_county = county.code[:2] + ("0105" if county.code[2:] != "0105" else "0106")
    found: list[pd.DataFrame] = []
    appended_land: list[pa.Table] = []

    def record(category, kind, base, parcel, area_m2):
        found.append(
            pd.DataFrame(
                {
                    "region_code": county.code,
                    "category": category,
                    "finding_type": kind,
                    "base_parcel_id": base,
                    "parcel_id": parcel,
                    "area_m2": np.round(area_m2, 2),
                }
            )
        )

    for name in INVENTORIES:
        if name not in tables:
            continue
        inventory, planted = tables[name]
        rows = pd.DataFrame(
            {
                "base": inventory.column("base_parcel_id").to_pylist(),
                "parcel": inventory.column("parcel_id").to_pylist(),
                "area_m2": np.round(
                    inventory.column("area_m2").to_numpy(zero_copy_only=False).astype(float) * factor, 2
                ),
                "state": pc.is_in(
                    inventory.column(OWNERSHIP_COLUMN[name]), value_set=pa.array(sorted(STATE_OWNERSHIP))
                ).to_numpy(zero_copy_only=False),
            }
        )
        rows["dirty"] = False
        rows.loc[planted.rows, "dirty"] = True
        per_base = rows.groupby("base").agg(dirty=("dirty", "any"), state=("state", "all"))
        clean_bases = per_base.index[~per_base["dirty"]]
        of_category = base_category == name
        usable = np.flatnonzero(of_category & ~land_dirty & (pd.Index(clean_bases).get_indexer(base_ids) >= 0))
        pool = rng.permutation(usable)
        # base parcels all of whose rows are state-owned (positions in the base map)
        state_base = pd.Index(per_base.index[per_base["state"]]).get_indexer(base_ids) >= 0
        for kind in INCONSISTENCY_KINDS:
            k = stochastic_round(share * int(of_category.sum()), rng)
            eligible = base_state[pool] & state_base[pool] if kind == "ownership_mismatch" else np.ones(len(pool), bool)
            if kind == "missing_inventory" and name in UNPRICED_WITHOUT_INVENTORY:
                budget = budgets.setdefault(name, UnpricedBudget())
                in_scope = rows["state"] & ~rows["dirty"] & rows["base"].isin(base_ids[pool[base_state[pool]]])
                allowed = budget.allowance(int(in_scope.sum()))
                eligible = ~base_state[pool] | (np.cumsum(base_state[pool]) <= allowed)
            taken = np.flatnonzero(eligible)[:k]
            picks = pool[taken]
            pool = np.delete(pool, taken)
            if kind == "missing_inventory" and name in UNPRICED_WITHOUT_INVENTORY:
                budgets[name].planted += int(base_state[picks].sum())
            if not len(picks):
                continue
            at = np.sort(picks.astype(np.int64))
            ids = base_ids[at]
            mine = rows[rows["base"].isin(ids)]
            if kind == "missing_base":
                first = mine.drop_duplicates("base")
                copies = inventory.take(pa.array(first.index.to_numpy()))
                missing = parcel_ids(county, MISSING_BASE_SERIAL + np.arange(len(first)))
                copies = copies.set_column(
                    copies.schema.get_field_index("base_parcel_id"), "base_parcel_id", id_text(missing)
                )
                copies = copies.set_column(
                    copies.schema.get_field_index("parcel_id"), "parcel_id", id_text(missing * 100 + 1)
                )
                inventory = pa.concat_tables([inventory, copies])
                record(name, kind, missing.astype(str), (missing * 100 + 1).astype(str), first["area_m2"].to_numpy())
            elif kind == "class_mismatch":
                land = replace_cells(land, "land_class", at, pa.array([MISMATCHED_CLASS] * len(at)))
                record(name, kind, mine["base"].to_numpy(), mine["parcel"].to_numpy(), mine["area_m2"].to_numpy())
            elif kind == "area_exceeds_base":
                shrunk = np.round(base_area[at] * SHRUNK_BASE_SHARE, 2)
                land = replace_cells(land, "area_m2", at, pa.array(shrunk))
                redline = land.column("redline_area_m2").to_numpy(zero_copy_only=False).astype(float)[at]
                land = replace_cells(land, "redline_area_m2", at, pa.array(np.fmin(redline, shrunk)))
                covered = mine.groupby("base")["area_m2"].sum().reindex(ids).to_numpy()
                record(name, kind, ids, None, covered - np.round(shrunk * factor, 2))
            elif kind == "ownership_mismatch":
                land = replace_cells(land, "ownership", at, pa.array([COLLECTIVE_CODE] * len(at)))
                record(name, kind, mine["base"].to_numpy(), mine["parcel"].to_numpy(), mine["area_m2"].to_numpy())
            elif kind == "county_mismatch":
                inventory = replace_cells(
                    inventory, "region_code", mine.index.to_numpy(), pa.array([other_county] * len(mine))
                )
                record(name, kind, mine["base"].to_numpy(), mine["parcel"].to_numpy(), mine["area_m2"].to_numpy())
            else:  # missing_inventory
                copies = land.take(pa.array(at))
                new_ids = parcel_ids(county, UNDESCRIBED_SERIAL + len(appended_land) * 1_000_000 + np.arange(len(at)))
                copies = copies.set_column(copies.schema.get_field_index("parcel_id"), "parcel_id", id_text(new_ids))
                appended_land.append(copies)
                record(name, kind, new_ids.astype(str), None, np.round(base_area[at] * factor, 2))
        tables[name] = (inventory, planted)
    tables["land"] = (pa.concat_tables([land] + appended_land), land_planted)
    if not found:
        return pd.DataFrame(columns=INCONSISTENCY_COLUMNS)
    return pd.concat(found, ignore_index=True)
