"""Last year's files against its manifest: the balance accounts open with last year's valued rows and check their
opening against last year's ledgers, so those files must be the ones last year's run wrote and listed."""

from __future__ import annotations

from pathlib import Path

from assets_pipeline.infra.layout import YearLayout
from assets_pipeline.infra.storage import read_json
from assets_pipeline.ingest.delivered import sha256_of
from assets_pipeline.schema.categories import CATEGORIES


class LastYearFileError(Exception):
    """A file of last year the balance would open with differs from what last year's manifest.json lists."""

    def __init__(self, path: Path | str, problem: str):
        self.path, self.problem = str(path), problem
        super().__init__(f"{self.path}: {problem}")

    def __reduce__(self):
        return (type(self), (self.path, self.problem))


def last_year_inputs(previous: YearLayout) -> list[Path]:
    """The files of last year the balance accounts read: its valued rows (the opening) and its ledgers (the
    published closing the opening must equal)."""
    paths = [*(previous.valued(c) for c in CATEGORIES), previous.ledger_physical, previous.ledger_value]
    return [p for p in paths if p.exists()]


def verify_last_year(layout: YearLayout) -> str:
    """Check last year's files against last year's ``manifest.json`` (its ``outputs``' SHA-256) before they are used
    as opening balances; raise ``LastYearFileError`` naming the first file that differs, is missing or is not listed.

    Returns a note for the step's metadata: what was verified, or why nothing was (a first year; a year
    compiled without a manifest)."""
    previous = YearLayout(layout.output_dir, layout.year - 1)
    files = last_year_inputs(previous)
    if not files:
        return f"no outputs of {previous.year}: first year of the accounts, nothing to verify"
    if not previous.manifest.exists():
        return (
            f"{previous.manifest} is missing: last year's {len(files)} files were used without verification "
            "(a year compiled without a manifest)"
        )
    try:
        described = read_json(previous.manifest).get("outputs", {})
    except ValueError as exc:
        raise LastYearFileError(
            previous.manifest, f"cannot be read ({exc}); last year's files cannot be verified"
        ) from None
    for path in files:
        name = path.relative_to(previous.root).as_posix()
        if name not in described:
            raise LastYearFileError(
                path,
                f"is not listed in {previous.manifest}: it was written after last year's run; "
                f"run {previous.year} again",
            )
        if sha256_of(path) != described[name]["sha256"]:
            raise LastYearFileError(
                path,
                f"differs from {previous.manifest} (sha256): it was changed after last "
                f"year's run; run {previous.year} again or restore the file",
            )
    return f"{len(files)} files of {previous.year} match {previous.manifest.name}: " + ", ".join(
        p.relative_to(previous.root).as_posix() for p in files
    )
