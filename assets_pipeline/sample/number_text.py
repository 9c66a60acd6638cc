"""Numbers as a CSV file holds them: fixed decimals per column, never in exponent form."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Decimal places of number columns as written to text (CSV); area columns keep 2 (survey precision).
DECIMALS = {
    "plot_ratio": 2,
    "granted_term_years": 0,
    "years_used": 0,
    "stock_m3": 2,
    "hay_yield_kg_per_ha": 1,
    "vegetation_cover_pct": 0,
    "volume_m3": 0,
    "quantity": 2,
    "annual_extraction": 2,
    "unit_rent": 2,
}


def decimal_text(values: pa.Array | pa.ChunkedArray, places: int) -> pa.Array:
    """Numbers written with exactly ``places`` decimals, never in exponent form (1.2e+10 would be read as text
    by many tools)."""
    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    x = array.to_numpy(zero_copy_only=False).astype(float)
    missing = np.isnan(x)
    scale = 10**places
    scaled = np.rint(np.abs(np.nan_to_num(x)) * scale).astype(np.int64)
    written = pc.cast(pa.array(scaled // scale), pa.string())
    if places:
        fraction = pc.utf8_lpad(pc.cast(pa.array(scaled % scale), pa.string()), places, "0")
        written = pc.binary_join_element_wise(written, fraction, ".")
    written = pc.if_else(pa.array(x < 0), pc.binary_join_element_wise("-", written, ""), written)
    return pc.if_else(pa.array(missing), pa.scalar(None, pa.string()), written)
