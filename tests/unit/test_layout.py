"""The package's shape holds as the architecture describes it (docs/architecture.md): modules small enough to
read, no module reaching into another's private names, queries in .sql files that say what they compute."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "assets_pipeline"
MODULES = sorted(PACKAGE.rglob("*.py"))
SQL_WORDS = re.compile(r"\b(SELECT|COPY|CREATE|INSERT|UPDATE|DELETE)\b")
MAX_LINES = 400
MAX_SQL_LINES = 5


def _name(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent))


@pytest.mark.parametrize("module", MODULES, ids=_name)
def test_no_module_is_over_400_lines(module):
    lines = len(module.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{_name(module)} has {lines} lines"


@pytest.mark.parametrize("module", MODULES, ids=_name)
def test_no_module_imports_another_modules_private_names(module):
    tree = ast.parse(module.read_text(encoding="utf-8"))
    private = [
        f"{node.module}.{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("assets_pipeline")
        for alias in node.names
        if alias.name.startswith("_")
    ]
    assert not private, f"{_name(module)} imports {private}"


@pytest.mark.parametrize("module", MODULES, ids=_name)
def test_no_sql_statement_over_five_lines_in_a_python_string(module):
    tree = ast.parse(module.read_text(encoding="utf-8"))
    long_sql = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, (ast.Constant, ast.JoinedStr))
        and (node.end_lineno - node.lineno + 1) > MAX_SQL_LINES
        and SQL_WORDS.search(ast.unparse(node) if isinstance(node, ast.JoinedStr) else str(node.value))
        and not _is_docstring(tree, node)
    ]
    assert not long_sql, f"{_name(module)}: SQL over {MAX_SQL_LINES} lines at lines {long_sql}: move it to a .sql file"


def _is_docstring(tree: ast.AST, node: ast.AST) -> bool:
    for parent in ast.walk(tree):
        if isinstance(parent, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)) and parent.body:
            first = parent.body[0]
            if isinstance(first, ast.Expr) and first.value is node:
                return True
    return False


@pytest.mark.parametrize("query", sorted(PACKAGE.rglob("*.sql")), ids=_name)
def test_every_query_file_opens_with_a_comment_saying_what_it_computes(query):
    first = query.read_text(encoding="utf-8").lstrip().splitlines()[0]
    assert first.startswith("--") and len(first) > 10, f"{_name(query)} opens with {first!r}"
