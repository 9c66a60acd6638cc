"""Errors a user can act on.

A file-level problem stops its category with one message naming the file and what is wrong
(issue "Inventories in, validated", point 4); it never surfaces as a traceback.
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
