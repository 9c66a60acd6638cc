"""What the command line prints after a run: per category the rows read, valid, excluded and rejected, the
counties that delivered nothing, and where the outputs are."""

from __future__ import annotations

from pathlib import Path


def category_table(result) -> list[tuple]:
    rows = []
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        key = materialization.asset_key.path
        if key[-1] == "validated":
            md = {k: v.value for k, v in materialization.metadata.items()}
            rows.append((key[0], md["rows_read"], md["rows_valid"], md["rows_excluded"], md["rows_rejected"]))
    return sorted(rows)


def print_categories(result, file=None) -> None:
    print(f"\n{'category':<10} {'read':>10} {'valid':>10} {'excluded':>10} {'rejected':>10}", file=file)
    for row in category_table(result):
        print(f"{row[0]:<10} {row[1]:>10,} {row[2]:>10,} {row[3]:>10,} {row[4]:>10,}", file=file)


def print_missing_counties(year_root: Path, file=None) -> None:
    """The counties that delivered no rows for a category (``deliveries.py``), one line each."""
    import pyarrow.parquet as pq

    path = year_root / "_stages" / "missing_counties.parquet"
    if not path.exists():
        return
    findings = pq.read_table(path).to_pylist()
    if findings:
        print(f"\nCounties that delivered no rows ({len(findings)}; {path}):", file=file)
    for f in findings:
        mark = "BLOCKS " if f["blocking"] else ("allowed " if f["allowed"] else "")
        print(f"  {mark}{f['category']:<10} {f['region_code']} {f['region_name']}: {f['evidence']}", file=file)


def print_summary(result, output_dir: Path, year: int, seconds: float, selection: str) -> None:
    print_categories(result)
    out = Path(output_dir) / str(year)
    print_missing_counties(out)
    print(f"\nDone in {seconds:.1f} s. Outputs in {out}")
    report = out / f"report_{year}.xlsx"
    if selection == "run" and report.exists():
        print(f"Report workbook: {report}")
    print(f"Rejected rows for the counties to fix: {out / f'rejects_{year}.xlsx'}")
    inconsistencies = out / f"inconsistencies_{year}.xlsx"
    if inconsistencies.exists():
        print(f"Inconsistent parcels (不一致图斑) for the counties to fix: {inconsistencies}")
