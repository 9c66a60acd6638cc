"""Errors a user can act on.

A file-level problem stops its category with one message naming the file and what is wrong; it never
surfaces as a traceback.
"""

from __future__ import annotations

from pathlib import Path


class InputFileError(Exception):
    """A delivered file cannot be read as an inventory (unreadable, wrong columns, unknown encoding…)."""

    def __init__(self, path: Path | str, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")

    def __reduce__(self):  # raised in worker processes: must cross back intact
        return (type(self), (self.path, self.problem))


class ReferenceTableError(Exception):
    """A reference table (code list or price table) is missing or malformed."""

    def __init__(self, path: Path | str, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"reference table {self.path}: {problem}")


class RunInProgressError(Exception):
    """Another run of the same year holds the year's lock (see ``year_lock``)."""

    def __init__(self, year: int, folder: Path | str, holder: str):
        self.year, self.folder, self.holder = int(year), str(folder), holder
        super().__init__(
            f"a run of {self.year} is already in progress ({holder}) writing {self.folder}; "
            "wait for it to finish and run again"
        )

    def __reduce__(self):
        return (type(self), (self.year, self.folder, self.holder))


class OutputFolderError(Exception):
    """The output folder cannot take the year's files: no space left, or not writable."""

    def __init__(self, folder: Path | str, cause: str):
        self.folder, self.cause = str(folder), cause
        super().__init__(f"output folder {self.folder}: {cause}; no output was left half-written")

    def __reduce__(self):
        return (type(self), (self.folder, self.cause))

    @classmethod
    def from_os_error(cls, folder: Path | str, exc: OSError) -> OutputFolderError:
        import errno

        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return cls(folder, "no space left on the device")
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return cls(folder, "not writable (permission denied or read-only file system)")
        return cls(folder, exc.strerror or str(exc))


def output_failure_cause(text: str) -> str | None:
    """The cause, in words, when an error's text is a full or unwritable disk (Python's or DuckDB's wording)."""
    if "No space left on device" in text or "[Errno 28]" in text or "Disk quota exceeded" in text:
        return "no space left on the device"
    if "Permission denied" in text or "Read-only file system" in text:
        return "not writable (permission denied or read-only file system)"
    return None


class SettingsError(ValueError):
    """A run parameter that cannot be used (unknown model or language, a folder that is not there…)."""
