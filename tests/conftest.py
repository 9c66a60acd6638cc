import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def _dagster_home(tmp_path_factory, monkeypatch):
    """Each test run gets its own Dagster instance, never the user's project history."""
    home = tmp_path_factory.getbasetemp() / "dagster_home"
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(home))


@pytest.fixture
def mini_province(tmp_path):
    from mini_province import write_mini_province

    return write_mini_province(tmp_path / "inputs")
