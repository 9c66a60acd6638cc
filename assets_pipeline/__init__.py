"""Annual accounts of state-owned natural resource assets: physical and value ledgers (DOMAIN §1)."""

import os

import pyarrow as _pa

# Arrow's default allocator keeps freed memory for reuse; with batches that come and go, the system
# allocator gives it back, which keeps every process's peak RSS (and the sum over worker processes)
# bounded, and measured faster here too. ARROW_DEFAULT_MEMORY_POOL still chooses, when set.
if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
    _pa.set_memory_pool(_pa.system_memory_pool())
