"""The production instance of deploy/ (README: *Running the nation*): its configuration files load and validate
against Dagster's own schemas, the image's build refers to files that exist, the auditors' proxy configuration is
one nginx accepts, and a queued backfill runs to the end with the daemon on the machine's real PostgreSQL server.

The quick tests need no server. The slow one needs PostgreSQL on 127.0.0.1:5432 with trust authentication (every
development and CI machine of the project starts one); it creates a database of its own and drops it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
INSTANCE_FILES = ("dagster.yaml", "dagster.local-postgres.yaml")
PG_ENV = {
    "DAGSTER_PG_HOST": "127.0.0.1",
    "DAGSTER_PG_USERNAME": "postgres",
    "DAGSTER_PG_PASSWORD": "",
    "DAGSTER_PG_DB": "test",
    "DAGSTER_PG_PORT": "5432",
}
K8S_ENV = {"NRLEDGER_K8S_NAMESPACE": "nrledger", "NRLEDGER_IMAGE": "registry.example.org/nrledger:1"}

# The partitions the backfill submits, oldest first: the only place that knows what a partition key looks like
# (years today; "province|year" keys once provinces are a dimension of the partitions).
BACKFILL_PARTITIONS = ("2021", "2022")


def year_of(partition_key: str) -> int:
    return int(partition_key.split("|")[-1])


@pytest.fixture
def deploy_env(monkeypatch):
    for name, value in {**PG_ENV, **K8S_ENV}.items():
        monkeypatch.setenv(name, value)


def instance_config(filename: str) -> dict:
    """The instance file as Dagster reads it: every top-level key checked against the instance schema."""
    from dagster._core.instance.config import dagster_instance_config

    config, custom_class = dagster_instance_config(str(DEPLOY), config_filename=filename)
    assert custom_class is None
    return dict(config)


def class_config(section: dict):
    """A configurable class of the instance (run coordinator, launcher) and its config checked against the class's
    own schema, as Dagster does when it builds the instance."""
    import importlib

    from dagster._config import process_config, resolve_to_config_type

    klass = getattr(importlib.import_module(section["module"]), section["class"])
    result = process_config(resolve_to_config_type(klass.config_type()), section.get("config") or {})
    assert result.success, [e.message for e in result.errors]
    return klass, result.value


# --- the instance files -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("filename", INSTANCE_FILES)
def test_instance_files_validate_against_dagsters_schema(filename, deploy_env):
    config = instance_config(filename)
    assert set(config["storage"]) == {"postgres"}
    # what dagster-postgres makes of it, the environment read
    storage = class_config({"module": "dagster_postgres", "class": "DagsterPostgresStorage", "config": config["storage"]["postgres"]})[1]
    assert storage["postgres_db"] == {
        "hostname": "127.0.0.1",
        "username": "postgres",
        "password": "",
        "db_name": "test",
        "port": 5432,
        "params": {},
        "scheme": "postgresql",
    }
    assert config["run_monitoring"]["enabled"] is True
    klass, queue = class_config(config["run_coordinator"])
    assert klass.__name__ == "QueuedRunCoordinator"
    assert {"key": "nrledger/province", "value": {"applyLimitPerUniqueValue": True}, "limit": 1} in queue[
        "tag_concurrency_limits"
    ]
    assert {"key": "dagster/partition/province", "value": {"applyLimitPerUniqueValue": True}, "limit": 1} in queue[
        "tag_concurrency_limits"
    ]
    class_config(config["run_launcher"])


def test_the_one_machine_instance_has_the_production_storage_and_queue_limits(deploy_env):
    production, local = instance_config("dagster.yaml"), instance_config("dagster.local-postgres.yaml")
    assert local["storage"] == production["storage"]
    assert (
        local["run_coordinator"]["config"]["tag_concurrency_limits"]
        == production["run_coordinator"]["config"]["tag_concurrency_limits"]
    )
    assert local["run_launcher"] == {"module": "dagster", "class": "DefaultRunLauncher"}


def test_the_kubernetes_launcher_takes_its_config(deploy_env, tmp_path):
    """The launcher built from the file's config, as the daemon builds it (a kubeconfig of a cluster that is never
    called stands in for the cluster's own credentials): every key is one K8sRunLauncher knows."""
    from dagster_k8s import K8sRunLauncher

    klass, config = class_config(instance_config("dagster.yaml")["run_launcher"])
    assert klass is K8sRunLauncher
    assert config["resources"] == {"requests": {"cpu": "2", "memory": "4Gi"}, "limits": {"cpu": "2", "memory": "6Gi"}}
    assert config["job_namespace"] == "nrledger" and config["job_image"] == K8S_ENV["NRLEDGER_IMAGE"]
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:6443"}}],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "x",
            }
        )
    )
    launcher = K8sRunLauncher.from_config_value(
        None, {**config, "load_incluster_config": False, "kubeconfig_file": str(kubeconfig)}
    )
    assert launcher.job_namespace == "nrledger"
    assert launcher.resources == config["resources"]
    assert launcher.postgres_password_secret == "nrledger-postgresql"
    assert launcher.fail_pod_on_run_failure is True


def test_the_workspace_loads_the_code_location_by_grpc(monkeypatch):
    from dagster._config import process_config, resolve_to_config_type
    from dagster._core.workspace.config_schema import WORKSPACE_CONFIG_SCHEMA

    monkeypatch.setenv("NRLEDGER_CODE_SERVER_HOST", "nrledger-code")
    monkeypatch.setenv("NRLEDGER_CODE_SERVER_PORT", "4000")

    raw = yaml.safe_load((DEPLOY / "workspace.yaml").read_text(encoding="utf-8"))
    result = process_config(resolve_to_config_type(WORKSPACE_CONFIG_SCHEMA), raw)
    assert result.success, [e.message for e in result.errors]
    assert result.value["load_from"] == [
        {"grpc_server": {"host": "nrledger-code", "port": 4000, "location_name": "assets_pipeline"}}
    ]
