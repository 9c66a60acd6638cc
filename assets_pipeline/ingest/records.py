"""What ingesting a category leaves beside its rows: the record of the files read (for the manifest and the
data version), or, when a file was refused, the refusal and an empty stage."""

from __future__ import annotations

import hashlib
import shutil

from assets_pipeline.infra.errors import InputFileError
from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.infra.storage import atomic_folder, write_json, write_parquet
from assets_pipeline.ingest.canonical import IngestResult, ingested_schema
from assets_pipeline.ingest.deliveries import refusal_path
from assets_pipeline.schema.categories import SPECS


def record_refusal(category: str, layout: YearLayout, exc: InputFileError) -> None:
    """A file-level problem stops its category only: the refusal is recorded and the category's stage holds no
    rows, so the other categories are still ingested and validated; the category's ``delivery_accepted`` check
    then fails (blocking its valuation and the publication) and the run lists every category's problem at once.
    """
    with atomic_folder(layout.ingested(category)) as tmp:  # no rows: nothing of an earlier run is left to reuse
        write_parquet(ingested_schema(SPECS[category]).empty_table(), tmp / "part-00000.parquet")
    if layout.geometry(category).exists():  # nor an earlier run's polygons (DOMAIN §6)
        shutil.rmtree(layout.geometry(category))
    write_json({"files": [], "rows": 0, "refused": str(exc)}, layout.record("ingested", category))
    write_json({"category": category, "file": exc.path, "problem": str(exc)}, refusal_path(layout, category))


def record_ingested(category: str, layout: YearLayout, result: IngestResult) -> str:
    """Record the files read (name, SHA-256, rows…) and return the category's data version: one hash over every
    file's name and hash, so the same delivery gives the same version."""
    files = result.files_metadata()
    combined = hashlib.sha256("".join(f["relative"] + f["sha256"] for f in files).encode()).hexdigest()
    write_json({"files": files, "rows": result.rows, "data_version": combined}, layout.record("ingested", category))
    return combined
