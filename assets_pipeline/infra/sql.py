"""Queries kept in ``.sql`` files beside the step that runs them.

A query file opens with a comment that says what it computes and from what, like the valuation models do.
Values go in as DuckDB parameters (``$name`` or ``?``). What DuckDB cannot take as a parameter — the files a
query reads or a COPY writes, and the names of views a step has registered — goes in through ``{name}``
placeholders, filled by :func:`render` only with literals made by :func:`path_literal`, :func:`paths_literal`
or :func:`identifier`, so no caller pastes free text into SQL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Literal(str):
    """A piece of SQL made by this module's functions: the only kind :func:`render` accepts."""


@cache
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def query(beside: str | Path, name: str) -> str:
    """The text of ``<name>.sql`` in the folder of ``beside`` (a module's ``__file__``)."""
    return _read(Path(beside).resolve().parent / f"{name}.sql")


def path_literal(path: str | Path) -> Literal:
    """A path as a quoted SQL string (quotes doubled)."""
    return Literal("'" + str(path).replace("'", "''") + "'")


def paths_literal(paths: Iterable[str | Path]) -> Literal:
    """A list of paths as a SQL list of quoted strings, for ``read_parquet({files})``."""
    return Literal("[" + ", ".join(path_literal(p) for p in paths) + "]")


def identifier(name: str) -> Literal:
    """A view or column name of our own making, checked to be a plain identifier."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return Literal(name)


def render(text: str, **pieces: Literal) -> str:
    """``text`` with its ``{name}`` placeholders filled by literals of this module."""
    for key, value in pieces.items():
        if not isinstance(value, Literal):
            raise TypeError(f"{key}: only path_literal, paths_literal or identifier values go into SQL text")
    return text.format_map(pieces)


def load(beside: str | Path, name: str, **pieces: Literal) -> str:
    """:func:`query` then :func:`render`: the statement ready to execute."""
    text = query(beside, name)
    return render(text, **pieces) if pieces else text
