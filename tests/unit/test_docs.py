"""The docs describe the repository as it is: every "DOMAIN §N" cited in the code, the queries and the docs names a
section of docs/domain.md; docs/architecture.md lists every module of the package and nothing else; every path the
README and the docs name exists."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CITATION = re.compile(r"DOMAIN §(\d+)")
SECTION = re.compile(r"^## (\d+)\. ", re.MULTILINE)


def _cited() -> dict[str, set[str]]:
    files = [
        *ROOT.glob("assets_pipeline/**/*.py"),
        *ROOT.glob("assets_pipeline/**/*.sql"),
        *ROOT.glob("valuation_models/*.sql"),
        *ROOT.glob("*.md"),
        *ROOT.glob("docs/*.md"),
        *ROOT.glob("reference_tables/*.md"),
        *ROOT.glob("benchmarks/*.md"),
        *ROOT.glob("benchmarks/*.py"),
    ]
    cited: dict[str, set[str]] = {}
    for path in files:
        for number in CITATION.findall(path.read_text(encoding="utf-8")):
            cited.setdefault(number, set()).add(str(path.relative_to(ROOT)))
    return cited


def test_every_cited_section_exists_in_docs_domain():
    sections = set(SECTION.findall((ROOT / "docs" / "domain.md").read_text(encoding="utf-8")))
    cited = _cited()
    assert {"2", "4", "5"} <= set(cited), "the code cites the base map, valuation and ledger sections"
    missing = {number: sorted(paths) for number, paths in cited.items() if number not in sections}
    assert not missing, f"cited but not in docs/domain.md: {missing}"


def _architecture() -> str:
    return (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def test_architecture_lists_every_module_under_its_package_and_no_other():
    listed: set[str] = set()
    package = None
    for line in _architecture().splitlines():
        heading = re.match(r"^### `([a-z_]+)/`", line)
        if heading:
            package = heading.group(1)
            continue
        if line.startswith("### "):
            package = None
        row = re.match(r"^\| `([a-z_]+\.py)` \|", line)
        if row and package:
            listed.add(f"{package}/{row.group(1)}")
    on_disk = {
        str(p.relative_to(ROOT / "assets_pipeline"))
        for p in (ROOT / "assets_pipeline").glob("*/*.py")
        if p.name != "__init__.py" or p.parent.name == "cli"
    }
    assert listed == on_disk, (
        f"missing from docs/architecture.md: {sorted(on_disk - listed)}; listed but gone: {sorted(listed - on_disk)}"
    )


def test_every_path_the_readme_and_docs_name_exists():
    named = set()
    for doc in [ROOT / "README.md", *ROOT.glob("docs/*.md"), *ROOT.glob("benchmarks/*.md"), *ROOT.glob("deploy/*.md")]:
        text = doc.read_text(encoding="utf-8")
        named |= set(
            re.findall(r"`((?:assets_pipeline|tests|benchmarks|valuation_models|docs|deploy)/[^`*<> ]+)`", text)
        )
    named = {p for p in named if not p.startswith("benchmarks/work/")}  # what the benchmark writes when it runs
    missing = sorted(p for p in named if not (ROOT / p.split(":")[0]).exists())
    assert not missing, f"named in the docs but not in the tree: {missing}"
