"""The command line's options are the settings model's fields: same names, help, choices and defaults, both ways."""

from __future__ import annotations

import argparse
from enum import StrEnum

import pytest

from assets_pipeline.cli import build_parser
from assets_pipeline.cli.options import settings_config, value_type
from assets_pipeline.settings import AccountsSettings

FOLDERS = ["--year", "2023", "--input-dir", "in", "--output-dir", "out"]
# valuation, report and the nation's roll-up only
RUN_ONLY = {"mineral_model", "discount_rate", "unpriced_threshold", "lang", "allow_partial"}


def _options(command: str) -> dict[str, argparse.Action]:
    """The options of ``command`` that are not the years, by destination."""
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices[command]
    # which province(s) and how many at once: the command's choice of partitions, not a run's settings
    partitions = ("help", "year", "years", "province", "provinces", "concurrency")
    return {a.dest: a for a in sub._actions if a.dest not in partitions}


@pytest.mark.parametrize("command", ["run", "validate"])
def test_every_setting_has_its_option_and_every_option_is_a_setting(command):
    fields = AccountsSettings.model_fields
    expected = set(fields) - (RUN_ONLY if command == "validate" else set())
    options = _options(command)
    assert set(options) == expected
    for name, action in options.items():
        field = fields[name]
        assert action.option_strings == [field.json_schema_extra["option"]]
        assert action.help % {} == field.description  # the help is the field's description, word for word
        assert action.default is None  # left out: the model's default
        kind = value_type(field)
        if isinstance(kind, type) and issubclass(kind, StrEnum):
            assert action.choices == [member.value for member in kind]
        assert action.required == (name in ("input_dir", "output_dir"))


def test_options_left_out_give_the_models_defaults():
    args = build_parser().parse_args(["run", *FOLDERS])
    config = settings_config(args)
    assert set(config) == {"input_dir", "output_dir"}
    given = AccountsSettings(**config)
    for name, field in AccountsSettings.model_fields.items():
        if name not in config:
            assert getattr(given, name) == field.default


def test_options_given_reach_the_settings_as_the_same_words():
    args = build_parser().parse_args(
        [
            "run",
            *FOLDERS,
            "--area-unit",
            "亩",
            "--mineral-model",
            "npv",
            "--discount-rate",
            "0.04",
            "--unpriced-threshold",
            "0.5",
            "--lang",
            "en",
            "--sheet",
            "林地",
            "--layer",
            "DLTB_2023",
            "--crs",
            "EPSG:4545",
            "--zone-tolerance",
            "0.02",
            "--consistency-policy",
            "inventory-wins",
            "--area-tolerance",
            "0.01",
            "--allow-missing-county",
            "140105",
            "--allow-missing-county",
            "140106",
            "--allow-partial",
        ]
    )
    settings = AccountsSettings(**settings_config(args))
    assert settings.record() | {"input_dir": "", "output_dir": "", "reference_dir": ""} == {
        "input_dir": "",
        "output_dir": "",
        "reference_dir": "",
        "declared_area_unit": "亩",
        "mineral_model": "npv",
        "discount_rate": "0.04",
        "unpriced_threshold": "0.5",
        "lang": "en",
        "xlsx_sheet": "林地",
        "layer": "DLTB_2023",
        "crs": "EPSG:4545",
        "zone_tolerance": "0.02",
        "consistency_policy": "inventory-wins",
        "area_tolerance": "0.01",
        "allow_partial": "True",
        "allow_missing_counties": "140105, 140106",
    }
    assert build_parser().parse_args(["run", *FOLDERS, "--area-unit", "HA"]).declared_area_unit == "ha"


@pytest.mark.parametrize(
    "option, value",
    [("--lang", "fr"), ("--consistency-policy", "both"), ("--mineral-model", "guess"), ("--area-unit", "acre")],
)
def test_a_choice_outside_its_enumeration_is_refused_in_one_line(option, value, capsys):
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["run", *FOLDERS, option, value])
    assert exit_.value.code == 2
    assert f"{option}: invalid choice: '{value}'" in capsys.readouterr().err.splitlines()[-1]
