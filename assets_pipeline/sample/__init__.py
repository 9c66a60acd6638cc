"""A synthetic Shanxi-like province for trying the pipeline end to end (``nrledger sample``, ``nrledger demo``).

``generate_sample`` writes, per year, what a provincial compilation receives, with dirty rows and base-map
inconsistencies planted on purpose and recorded. The modules follow what they generate: ``province_figures``
(the shares and magnitudes imitated), ``reference`` (the code lists drawn from), ``counties`` (who delivers how),
``base_map`` and ``inventories`` (the parcels and their inventory rows), ``county_years`` (their change from year
to year), ``water`` and ``minerals`` (the province tables), ``delivered_tables`` (rows as typed tables),
``defects`` and ``inconsistencies`` (what is planted), ``writers`` (files per format) and ``sample_book`` (the
record and README of what was written).
"""

from assets_pipeline.sample.generate import SampleSummary, generate_sample
from assets_pipeline.sample.inconsistencies import DEFAULT_INCONSISTENCY_SHARE, UNPRICED_PLANTED_SHARE, UnpricedBudget
from assets_pipeline.sample.province_figures import GROUP_AREA_WAN_HA
from assets_pipeline.sample.reference import REFERENCE_DIR

__all__ = [
    "DEFAULT_INCONSISTENCY_SHARE",
    "GROUP_AREA_WAN_HA",
    "REFERENCE_DIR",
    "UNPRICED_PLANTED_SHARE",
    "SampleSummary",
    "UnpricedBudget",
    "generate_sample",
]
