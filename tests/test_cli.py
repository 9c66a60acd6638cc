"""The command line reads years the same way in every command: one year, a range, or a list, oldest first."""

from __future__ import annotations

import pytest

from assets_pipeline.cli import _years, build_parser

FOLDERS = ["--input-dir", "in", "--output-dir", "out"]


@pytest.mark.parametrize("argv, years", [
    (["run", "--years", "2021-2023", *FOLDERS], [2021, 2022, 2023]),
    (["run", "--years", "2021", "2022", "2023", *FOLDERS], [2021, 2022, 2023]),
    (["run", "--years", "2023", "2021-2022", "2022", *FOLDERS], [2021, 2022, 2023]),  # sorted, each once
    (["run", "--year", "2023", *FOLDERS], [2023]),
    (["validate", "--years", "2022-2023", *FOLDERS], [2022, 2023]),
    (["sample", "--years", "2021-2023", "--out", "x"], [2021, 2022, 2023]),
    (["sample", "--years", "2021", "2022", "2023", "--out", "x"], [2021, 2022, 2023]),
    (["sample", "--out", "x"], [2023]),
])
def test_years_are_read_alike_in_every_command(argv, years):
    assert _years(build_parser().parse_args(argv)) == years


@pytest.mark.parametrize("argv", [
    ["run", "--years", "2023-2021", *FOLDERS],
    ["run", "--years", "2014", *FOLDERS],
    ["run", "--years", "twenty", *FOLDERS],
    ["sample", "--years", "2014-2016", "--out", "x"],
    ["sample", "--year", "3000", "--out", "x"],
])
def test_years_outside_the_accounting_years_are_refused(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(argv)
    assert exit_.value.code == 2
    assert "years" in capsys.readouterr().err
