"""Shared by both tiers: ``unit/`` calls the stages' functions (no Dagster), ``integration/`` materializes through
Dagster or starts the command line. Tests marked ``slow`` compile a province through Dagster or the command line
(seconds to minutes each); ``pytest -m "not slow"`` is the quick run.

The builders of the hand-made provinces (``mini_province.py``, ``two_year_province.py``) and the stages run
without Dagster (``stages.py``) sit beside this file and are imported by name."""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True, scope="session")
def _dagster_home(tmp_path_factory):
    """The test session gets its own Dagster instance, never the user's project history."""
    home = tmp_path_factory.getbasetemp() / "dagster_home"
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    previous = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home)
    yield home
    if previous is None:
        os.environ.pop("DAGSTER_HOME", None)
    else:
        os.environ["DAGSTER_HOME"] = previous


@pytest.fixture
def mini_province(tmp_path):
    """The hand-made province (mini_province.py) in the test's own folder: a test may change its files."""
    from mini_province import write_mini_province

    return write_mini_province(tmp_path / "inputs")


@pytest.fixture(scope="session")
def mini_province_shared(tmp_path_factory):
    """The hand-made province written once for the session, for tests that only read it."""
    from mini_province import write_mini_province

    return write_mini_province(tmp_path_factory.mktemp("mini_province") / "inputs")
