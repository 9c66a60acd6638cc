"""Every "DOMAIN §N" cited in the code, the models and the docs names a section of docs/domain.md."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CITATION = re.compile(r"DOMAIN §(\d+)")
SECTION = re.compile(r"^## (\d+)\. ", re.MULTILINE)


def _cited() -> dict[str, set[str]]:
    files = [
        *ROOT.glob("assets_pipeline/**/*.py"),
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
