"""The run's settings on the command line: one option per field of ``AccountsSettings``, its help the field's
description, its choices the field's enumeration; the parsed options become the Dagster resource's config."""

from __future__ import annotations

import argparse
import types
import typing
from enum import StrEnum
from pathlib import Path

from pydantic.fields import FieldInfo

from assets_pipeline.settings import AccountsSettings


def setting_fields(command: str) -> dict[str, FieldInfo]:
    """The settings ``command`` (``run`` or ``validate``) takes, in the model's order."""
    return {
        name: field
        for name, field in AccountsSettings.model_fields.items()
        if command == "run" or not field.json_schema_extra["run_only"]
    }


def value_type(field: FieldInfo) -> type:
    """The field's type without ``None`` (``float | None`` → ``float``)."""
    annotation = field.annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        (annotation,) = [a for a in typing.get_args(annotation) if a is not type(None)]
    return annotation


def add_setting_options(parser: argparse.ArgumentParser, command: str) -> None:
    """An option per setting; each left out stays unset (``None``), so the model's default applies."""
    for name, field in setting_fields(command).items():
        cli = field.json_schema_extra
        kind = value_type(field)
        arguments: dict = {"dest": name, "help": field.description.replace("%", "%%")}
        if cli["required"]:
            arguments["required"] = True
        if cli["metavar"]:
            arguments["metavar"] = cli["metavar"]
        if isinstance(kind, type) and issubclass(kind, StrEnum):
            arguments["choices"] = [member.value for member in kind]
            arguments["type"] = lambda text, kind=kind: text if text in set(kind) else text.lower()  # "HA" is "ha"
        elif kind is bool:  # a flag: given means true, left out leaves the default
            arguments["action"] = "store_const"
            arguments["const"] = True
        elif typing.get_origin(kind) is list:
            arguments["action"] = "append"
        elif kind is not str:
            arguments["type"] = kind
        parser.add_argument(cli["option"], **arguments)


def settings_config(args: argparse.Namespace) -> dict:
    """The Dagster config of the settings given on the command line, folders made absolute."""
    config = {}
    for name in AccountsSettings.model_fields:
        value = getattr(args, name, None)
        if value is not None:
            config[name] = str(Path(value).resolve()) if name.endswith("_dir") else value
    return config
