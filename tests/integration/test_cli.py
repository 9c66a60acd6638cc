"""The command line reads years the same way in every command: one year, a range, or a list, oldest first."""

from __future__ import annotations

from pathlib import Path

import pytest

from assets_pipeline.cli import _years, build_parser
from assets_pipeline.reference.tables import DEFAULT_REFERENCE_DIR

FOLDERS = ["--input-dir", "in", "--output-dir", "out"]


@pytest.mark.parametrize(
    "argv, years",
    [
        (["run", "--years", "2021-2023", *FOLDERS], [2021, 2022, 2023]),
        (["run", "--years", "2021", "2022", "2023", *FOLDERS], [2021, 2022, 2023]),
        (["run", "--years", "2023", "2021-2022", "2022", *FOLDERS], [2021, 2022, 2023]),  # sorted, each once
        (["run", "--year", "2023", *FOLDERS], [2023]),
        (["validate", "--years", "2022-2023", *FOLDERS], [2022, 2023]),
        (["sample", "--years", "2021-2023", "--out", "x"], [2021, 2022, 2023]),
        (["sample", "--years", "2021", "2022", "2023", "--out", "x"], [2021, 2022, 2023]),
        (["sample", "--out", "x"], [2023]),
    ],
)
def test_years_are_read_alike_in_every_command(argv, years):
    assert _years(build_parser().parse_args(argv)) == years


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--years", "2023-2021", *FOLDERS],
        ["run", "--years", "2014", *FOLDERS],
        ["run", "--years", "twenty", *FOLDERS],
        ["sample", "--years", "2014-2016", "--out", "x"],
        ["sample", "--year", "3000", "--out", "x"],
    ],
)
def test_years_outside_the_accounting_years_are_refused(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(argv)
    assert exit_.value.code == 2
    assert "years" in capsys.readouterr().err


# ------------------------------------------------------------------------------- failures in the user's words


def _reference_without(tmp_path, table: str, drop) -> Path:
    """A copy of the project's reference tables with the rows ``drop`` selects removed from ``prices/<table>.csv``."""
    import shutil

    import pandas as pd

    from assets_pipeline.reference.tables import DEFAULT_REFERENCE_DIR

    ref = tmp_path / "reference"
    shutil.copytree(DEFAULT_REFERENCE_DIR, ref)
    path = ref / "prices" / f"{table}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame[~drop(frame)].to_csv(path, index=False)
    return ref


@pytest.mark.slow
def test_a_failed_unpriced_check_says_share_limit_worst_counties_and_the_file_to_open(mini_province, tmp_path, capsys):
    """Without a coal price, the mini province's two coal rows (both in 140105 小店区) have none: 2 of 2 in-scope
    mineral rows, 100 % against a limit of 50 %; unpriced.parquet lists them although the ledgers never ran."""
    import pyarrow.parquet as pq

    from assets_pipeline.cli import main

    ref = _reference_without(tmp_path, "mineral_benchmark_prices", lambda f: f.mineral_code == "coal")
    out = tmp_path / "out"
    code = main(
        [
            "run",
            "--year",
            "2023",
            "--input-dir",
            str(mini_province),
            "--output-dir",
            str(out),
            "--reference-dir",
            str(ref),
            "--unpriced-threshold",
            "0.5",
        ]
    )
    assert code == 1
    err = capsys.readouterr().err
    unpriced = out / "2023" / "unpriced.parquet"
    lines = err.splitlines()
    start = lines.index(
        "error: check minerals/valued:unpriced_share (未定价比例 / unpriced share) failed: 100.00% of "
        "the in-scope rows have no price (2 of 2), above the limit of 50.00% (--unpriced-threshold)"
    )
    assert lines[start + 1 : start + 4] == [
        "  worst counties: 140105 小店区 100.00% (2 of 2)",
        f"  open {unpriced} (every in-scope row without a price, with the key that found none)",
        "  add the price rows or fix the codes, or raise --unpriced-threshold knowingly",
    ]
    # the file named is there, and lists the two rows with the key that found no price
    table = pq.read_table(unpriced).to_pylist()
    assert [(r["category"], r["region_code"], r["source_file"], r["source_row"]) for r in table] == [
        ("minerals", "140105", "minerals.csv", 2),
        ("minerals", "140105", "minerals.csv", 3),
    ]
    assert all("coal" in r["price_key"] for r in table)
    assert not (out / "2023" / "ledger_value.parquet").exists()  # publication was stopped
    assert "dagster." not in err and "Error:" not in err and "Warning" not in err and "Traceback" not in err


@pytest.mark.slow
def test_validate_refuses_a_folder_holding_the_compiled_year(mini_province, tmp_path, capsys):
    """validate would replace the rejects and findings beside ledgers of another run: it refuses, writing nothing."""
    from assets_pipeline.cli import main

    out = tmp_path / "accounts"
    year = out / "2023"
    year.mkdir(parents=True)
    (year / "manifest.json").write_text("{}", encoding="utf-8")
    (year / "rejects.parquet").write_bytes(b"the compiled year's rejects")
    code = main(["validate", "--year", "2023", "--input-dir", str(mini_province), "--output-dir", str(out)])
    assert code == 64
    assert capsys.readouterr().err.splitlines() == [
        f"error: {year} holds the compiled accounts of 2023; validate would replace their rejects and inconsistency "
        f"lists and leave a mixed set. Validate into another folder (--output-dir {tmp_path / 'accounts-validation'}), "
        "or run the year"
    ]
    assert sorted(p.name for p in year.iterdir()) == ["manifest.json", "rejects.parquet"]
    assert (year / "rejects.parquet").read_bytes() == b"the compiled year's rejects"


# ----------------------------------------------------------------------------------------------------- lineage


@pytest.mark.slow
def test_each_output_folder_keeps_its_own_dagster_history(mini_province, tmp_path, monkeypatch, capsys):
    """Without DAGSTER_HOME, the instance is the output folder's own (<output-dir>/.dagster): two folders of the
    same year are two histories, each with its run, tagged with its province, folders, policy and model."""
    import dagster as dg

    from assets_pipeline.cli import main

    monkeypatch.delenv("DAGSTER_HOME")
    for name in ("a", "b"):
        assert (
            main(
                ["validate", "--year", "2023", "--input-dir", str(mini_province), "--output-dir", str(tmp_path / name)]
            )
            == 0
        )
    for name in ("a", "b"):
        instance = dg.DagsterInstance.from_config(str(tmp_path / name / ".dagster"))
        runs = instance.get_run_records()
        assert len(runs) == 1
        tags = runs[0].dagster_run.tags
        assert {k: v for k, v in tags.items() if k.startswith("nrledger/")} == {
            "nrledger/province": "140000 山西省",
            "nrledger/input_dir": str(mini_province.resolve()),
            "nrledger/output_dir": str((tmp_path / name).resolve()),
            "nrledger/reference_dir": str(DEFAULT_REFERENCE_DIR),
            "nrledger/consistency_policy": "base-map-wins",
            "nrledger/mineral_model": "benchmark",
        }
        assert tags["dagster/partition"] == "140000|2023"
        assert (tags["dagster/partition/province"], tags["dagster/partition/year"]) == ("140000", "2023")
        event = instance.get_latest_materialization_event(dg.AssetKey(["rejects"]))
        assert event is not None and event.run_id == runs[0].dagster_run.run_id
    assert "Warning" not in capsys.readouterr().err


def test_every_asset_has_a_code_version_of_the_code_that_computes_it():
    from assets_pipeline.defs.definitions import COMPUTED_BY, defs
    from assets_pipeline.defs.metadata import source_version

    graph = defs.resolve_asset_graph()
    versions = {key.to_user_string(): graph.get(key).code_version for key in graph.get_all_asset_keys()}
    assert all(versions.values()), [k for k, v in versions.items() if not v]
    assert versions["ledger/value"] == source_version(*COMPUTED_BY["ledger"]) == versions["ledger/physical"]
    assert versions["report"] == source_version(*COMPUTED_BY["report"])
    assert (
        versions["minerals/valued"].startswith("minerals_benchmark-")
        and "+minerals_npv-" in versions["minerals/valued"]
    )


def test_any_failed_check_is_named_in_both_languages_with_its_figures():
    """A check without a message of its own shows its scalar figures (tables and JSON stay in the UI)."""
    import dagster as dg

    from assets_pipeline.defs.failures import check_lines

    evaluation = dg.AssetCheckEvaluation(
        asset_key=dg.AssetKey(["ledger", "physical"]),
        check_name="no_double_counting",
        passed=False,
        metadata={
            "counties": 2,
            "counties_differing": 1,
            "largest_difference_m2": "20000.00",
            "by_county": dg.MetadataValue.md("| county |\n|---|\n| 140105 |"),
        },
    )
    assert check_lines(evaluation) == [
        "error: check ledger/physical:no_double_counting (无重复计算 / no double counting) failed: counties 2, "
        "counties differing 1, largest difference m2 20000.00"
    ]


def test_the_command_as_a_process_exits_with_mains_code_and_skips_the_last_collection(tmp_path, capsys):
    """``nrledger`` and ``python -m assets_pipeline.cli`` go through ``command``: main's exit code, and the
    collector frozen before the interpreter exits (its last collection is skipped)."""
    import subprocess
    import sys

    from assets_pipeline.cli import main

    argv = ["verify", "--year", "2023", "--output-dir", str(tmp_path / "none")]
    expected = main(argv)
    capsys.readouterr()
    assert expected != 0  # nothing published there: the exit code says so, and is not the default 0
    script = (
        "import gc, sys\nfrom assets_pipeline.cli import command\n"
        f"sys.argv = ['nrledger', *{argv!r}]\ncode = command()\nprint(code, gc.get_freeze_count() > 0)"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == [str(expected), "True"], done.stderr
    as_module = subprocess.run([sys.executable, "-m", "assets_pipeline.cli", *argv], capture_output=True, timeout=120)
    assert as_module.returncode == expected
