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

import duckdb
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
# (province|year keys: the assets are partitioned by province × year).
BACKFILL_PARTITIONS = ("140000|2021", "140000|2022")
# ``dagster-daemon`` as deployed, but with the backfill daemon's tick at 3 s instead of Dagster's fixed 30 s (a constant
# of Dagster's, not a setting of the instance): the backfill's runs are submitted tick by tick as their parents
# complete, and at 30 s a tick most of the test would be the daemon asleep
DAEMON_WITH_SHORT_TICK = (
    "import sys; import dagster._daemon.controller as c; c.DEFAULT_DAEMON_INTERVAL_SECONDS = 3; "
    "from dagster._daemon.cli import main; sys.argv[0] = 'dagster-daemon'; sys.exit(main())"
)


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
    storage = class_config(
        {"module": "dagster_postgres", "class": "DagsterPostgresStorage", "config": config["storage"]["postgres"]}
    )[1]
    assert storage["postgres_db"] == {
        "hostname": "127.0.0.1",
        "username": "postgres",
        "password": "",
        "db_name": "test",
        "port": 5432,
        "params": {},
        "scheme": "postgresql+psycopg2",
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


# --- the image, the cluster's manifests, the proxy -----------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    lines = (DEPLOY / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ").splitlines()
    return [tuple(line.split(None, 1)) for line in lines if line.strip() and not line.lstrip().startswith("#")]


def test_the_image_copies_files_that_exist_and_serves_the_workspaces_location():
    instructions = dockerfile_instructions()
    copied = [arg.split()[:-1] for op, arg in instructions if op == "COPY"]
    sources = [src for sources in copied for src in sources]
    assert {"pyproject.toml", "uv.lock", "assets_pipeline", "valuation_models", "reference_tables"} <= set(sources)
    missing = [src for src in sources if not (ROOT / src).exists()]
    assert not missing, f"deploy/Dockerfile copies {missing}, which the repository does not hold"
    # the dependencies exactly as locked, with the deploy group (the Kubernetes launcher), without the test tools
    runs = " ".join(arg for op, arg in instructions if op == "RUN")
    assert "uv sync --frozen --no-dev --group deploy" in runs
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "deploy" in project["dependency-groups"]
    # the uv of CI, pinned
    ci_pin = next(w for w in (ROOT / ".ci" / "run").read_text(encoding="utf-8").split() if w.startswith("uv=="))
    assert f"pip install --no-cache-dir {ci_pin}" in runs
    # the command serves the module the project's own workspace loads, on the workspace's port
    command = json.loads(next(arg for op, arg in instructions if op == "CMD"))
    module = command[command.index("-m") + 1]
    assert module == project["tool"]["dagster"]["module_name"]
    assert command[:3] == ["dagster", "code-server", "start"] and command[command.index("-p") + 1] == "4000"
    assert instructions[0] == ("FROM", "python:3.11-slim")


def manifests() -> list[dict]:
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text(encoding="utf-8"))
    documents = []
    for resource in kustomization["resources"]:
        documents += [d for d in yaml.safe_load_all((DEPLOY / resource).read_text(encoding="utf-8")) if d]
    return documents


def env_names(config) -> set[str]:
    """The environment variables a Dagster YAML file reads (``{env: NAME}``)."""
    if isinstance(config, dict):
        if set(config) == {"env"}:
            return {config["env"]}
        return set().union(*(env_names(v) for v in config.values())) if config else set()
    if isinstance(config, list):
        return set().union(*(env_names(v) for v in config)) if config else set()
    return set()


def test_the_kubernetes_manifests_provide_what_the_instance_names(deploy_env):
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text(encoding="utf-8"))
    documents = manifests()
    named = {(d["kind"], d["metadata"]["name"]) for d in documents}
    launcher = instance_config("dagster.yaml")["run_launcher"]["config"]
    raw = yaml.safe_load((DEPLOY / "dagster.yaml").read_text(encoding="utf-8"))
    workspace = yaml.safe_load((DEPLOY / "workspace.yaml").read_text(encoding="utf-8"))
    # the instance ConfigMap is generated from the validated files themselves, under the launcher's name for it
    (generated,) = kustomization["configMapGenerator"]
    assert generated["name"] == launcher["instance_config_map"]
    assert set(generated["files"]) == {"dagster.yaml", "workspace.yaml"}
    assert ("ServiceAccount", launcher["service_account_name"]) in named
    (env_map,) = [
        d for d in documents if d["kind"] == "ConfigMap" and d["metadata"]["name"] in launcher["env_config_maps"]
    ]
    # every variable the files read is set, the password apart (it comes from the Secret)
    assert env_names(raw) | env_names(workspace) == set(env_map["data"]) | {"DAGSTER_PG_PASSWORD"}
    assert "DAGSTER_PG_PASSWORD" not in env_map["data"]
    claims = {v["persistentVolumeClaim"]["claimName"] for v in launcher["volumes"]}
    assert claims <= {name for kind, name in named if kind == "PersistentVolumeClaim"}
    deployments = {d["metadata"]["name"]: d["spec"]["template"]["spec"] for d in documents if d["kind"] == "Deployment"}
    assert set(deployments) == {"nrledger-code", "nrledger-daemon", "nrledger-ui"}
    for name, pod in deployments.items():
        (container,) = pod["containers"]
        assert container["image"] == env_map["data"]["NRLEDGER_IMAGE"], name
        for variable in container.get("env", []):
            secret = variable.get("valueFrom", {}).get("secretKeyRef")
            if secret:  # the Secret and key the launcher hands to each run's pod as well
                assert variable["name"] == "DAGSTER_PG_PASSWORD"
                assert secret == {"name": launcher["postgres_password_secret"], "key": "postgresql-password"}
    # the code server's Service on the port the workspace reads; the UI read-only and reachable in the cluster only
    services = {d["metadata"]["name"]: d["spec"] for d in documents if d["kind"] == "Service"}
    assert services[env_map["data"]["NRLEDGER_CODE_SERVER_HOST"]]["ports"][0]["port"] == int(
        env_map["data"]["NRLEDGER_CODE_SERVER_PORT"]
    )
    assert "--read-only" in deployments["nrledger-ui"]["containers"][0]["command"]
    assert services["nrledger-ui"]["type"] == "ClusterIP"
    assert deployments["nrledger-daemon"]["containers"][0]["command"][:2] == ["dagster-daemon", "run"]


def test_the_proxy_config_is_one_nginx_accepts(tmp_path):
    """``nginx -t`` on deploy/proxy/nginx.conf, its certificate paths pointed at a throw-away self-signed pair."""
    nginx, openssl = shutil.which("nginx"), shutil.which("openssl")
    if nginx is None or openssl is None:
        pytest.skip(
            "nginx -t needs nginx and openssl installed (apt-get install nginx); the proxy's config is unchecked"
        )
    conf = (DEPLOY / "proxy" / "nginx.conf").read_text(encoding="utf-8")
    assert "auth_request /oauth2/auth;" in conf and "proxy_pass http://dagster_ui;" in conf
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=accounts-ui"]
        + ["-keyout", str(tmp_path / "ui.key"), "-out", str(tmp_path / "ui.crt")],
        check=True,
        capture_output=True,
    )
    conf = conf.replace("/etc/nginx/tls/accounts-ui.crt", str(tmp_path / "ui.crt"))
    conf = conf.replace("/etc/nginx/tls/accounts-ui.key", str(tmp_path / "ui.key"))
    (tmp_path / "nginx.conf").write_text(conf, encoding="utf-8")
    checked = subprocess.run(
        [nginx, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


# --- a queued backfill on PostgreSQL, launched by the daemon ----------------------------------------------------

LAUNCH_BACKFILL = """
mutation Launch($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on UnauthorizedError { message }
  }
}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    """A server in a process group of its own, so that stopping it stops what it started (run workers, the code
    server's children)."""
    with open(log, "wb") as out:
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM to the group, SIGKILL if it has not ended within ``timeout`` (servers may not heed SIGTERM)."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        except ProcessLookupError:
            pass


def graphql(port: int, query: str, variables: dict) -> dict:
    body = json.dumps({"query": query, "variables": variables}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def wait_for(condition, timeout: float, what: str, logs: list[Path], servers: list[subprocess.Popen]):
    """Poll ``condition`` until it holds; fail with the servers' logs at the timeout or when a server has ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and all(server.poll() is None for server in servers):
        value = condition()
        if value:
            return value
        time.sleep(1)
    tails = "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}" for log in logs)
    pytest.fail(f"{what}: not within {timeout} s\n{tails}")


@pytest.fixture
def database():
    """A database of the test's own on the machine's PostgreSQL server, dropped at the end."""
    psycopg2 = pytest.importorskip("psycopg2")
    name = f"nrledger_test_{uuid.uuid4().hex[:12]}"
    user = None
    for candidate in ("postgres", "root"):
        try:
            admin = psycopg2.connect(host="127.0.0.1", port=5432, user=candidate, dbname="test", connect_timeout=5)
            user = candidate
            break
        except psycopg2.OperationalError as exc:
            reason = str(exc)
    if user is None:
        pytest.fail(f"no PostgreSQL server on 127.0.0.1:5432 (trust authentication, database test): {reason}")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {**PG_ENV, "DAGSTER_PG_USERNAME": user, "DAGSTER_PG_DB": name}
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def query(pg: dict, sql: str, *params):
    import psycopg2

    with (
        psycopg2.connect(
            host=pg["DAGSTER_PG_HOST"],
            port=int(pg["DAGSTER_PG_PORT"]),
            user=pg["DAGSTER_PG_USERNAME"],
            dbname=pg["DAGSTER_PG_DB"],
        ) as conn,
        conn.cursor() as cur,
    ):
        cur.execute(sql, params)
        return cur.fetchall()


@pytest.mark.slow
def test_a_queued_backfill_runs_on_postgres_with_the_daemon(database, tmp_path, monkeypatch):
    """The one-machine instance (deploy/dagster.local-postgres.yaml) on a fresh database, the code location served
    as the image serves it (deploy/Dockerfile's command) and loaded by gRPC (deploy/workspace.yaml); a backfill
    launched the way the UI launches one (the webserver's GraphQL mutation) is queued, the daemon launches its
    runs, and the province's years run one after the other."""
    import dagster as dg

    from assets_pipeline.cli import main
    from assets_pipeline.infra.layout import YearLayout
    from assets_pipeline.sample import generate_sample
    from assets_pipeline.settings import AccountsSettings

    years = sorted({year_of(key) for key in BACKFILL_PARTITIONS})
    inputs, out, home = tmp_path / "inputs", tmp_path / "out", tmp_path / "home"
    generate_sample(inputs, years, parcels=600, seed=3, layers="none")
    home.mkdir()
    # the shipped file, but for the queue's dequeue interval (5 s in production, where runs take minutes)
    shipped = (DEPLOY / "dagster.local-postgres.yaml").read_text(encoding="utf-8")
    assert "dequeue_interval_seconds: 5" in shipped
    (home / "dagster.yaml").write_text(
        shipped.replace("dequeue_interval_seconds: 5", "dequeue_interval_seconds: 1"), encoding="utf-8"
    )
    code_port, web_port, read_only_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        **database,
        "DAGSTER_HOME": str(home),
        "NRLEDGER_CODE_SERVER_HOST": "127.0.0.1",
        "NRLEDGER_CODE_SERVER_PORT": str(code_port),
    }
    bin_dir = Path(sys.executable).parent
    logs = [tmp_path / f"{name}.log" for name in ("code-server", "daemon", "webserver", "webserver-read-only")]
    servers = []
    try:
        servers.append(
            start(
                [str(bin_dir / "dagster"), "code-server", "start", "-m", "assets_pipeline.defs.definitions"]
                + ["-h", "127.0.0.1", "-p", str(code_port)],
                env,
                logs[0],
            )
        )
        # the code location first: the daemon and the webserver load it once they start
        wait_for(
            lambda: "Started Dagster code proxy server" in logs[0].read_text(), 120, "the code server", logs, servers
        )
        servers.append(
            start([sys.executable, "-c", DAEMON_WITH_SHORT_TICK, "run", "-w", "deploy/workspace.yaml"], env, logs[1])
        )
        servers.append(
            start(
                [str(bin_dir / "dagster-webserver"), "-w", "deploy/workspace.yaml", "-h", "127.0.0.1"]
                + ["-p", str(web_port)],
                env,
                logs[2],
            )
        )
        # the auditors' webserver (deploy/k8s/webserver.yaml)
        servers.append(
            start(
                [str(bin_dir / "dagster-webserver"), "-w", "deploy/workspace.yaml", "-h", "127.0.0.1"]
                + ["-p", str(read_only_port), "--read-only"],
                env,
                logs[3],
            )
        )
        wait_for(lambda: _answers(web_port) and _answers(read_only_port), 120, "the webservers", logs, servers)

        settings = {"input_dir": str(inputs), "output_dir": str(out)}
        province = AccountsSettings(**settings).province()
        backfill = {
            "params": {
                "partitionNames": list(BACKFILL_PARTITIONS),
                "assetSelection": [{"path": list(k.path)} for k in _asset_keys()],
                "runConfigData": {"resources": {"settings": {"config": settings}}},
                "tags": [{"key": "nrledger/province", "value": province}],
            }
        }
        # the read-only UI refuses to launch anything
        refused = graphql(read_only_port, LAUNCH_BACKFILL, backfill)["data"]["launchPartitionBackfill"]
        assert refused["__typename"] == "UnauthorizedError", refused
        answer = graphql(web_port, LAUNCH_BACKFILL, backfill)
        launched = answer["data"]["launchPartitionBackfill"]
        assert launched["__typename"] == "LaunchBackfillSuccess", answer

        def backfill_done():
            rows = query(database, "SELECT status FROM bulk_actions WHERE key = %s", launched["backfillId"])
            return rows and rows[0][0] not in ("REQUESTED", "CANCELING")

        wait_for(backfill_done, 900, "the backfill", logs, servers)
    finally:
        for server in reversed(servers):
            stop(server)

    # the backfill, its runs and their events are in PostgreSQL; every run succeeded
    status = query(database, "SELECT status FROM bulk_actions WHERE key = %s", launched["backfillId"])[0][0]
    runs = query(
        database,
        "SELECT r.run_id, r.status, r.start_time, r.end_time, t.value FROM runs r "
        "JOIN run_tags t ON t.run_id = r.run_id AND t.key = 'dagster/partition' ORDER BY r.start_time",
    )
    print(
        f"backfill {status}: " + ", ".join(f"{key} {state} {end - begin:.0f} s" for _, state, begin, end, key in runs)
    )
    # nothing failed but the balance accounts, report and manifest of the year after the last, which Dagster asks
    # for too (they depend on the last year's valued rows) and which leave themselves out (README: Dagster)
    for name, value in database.items():
        monkeypatch.setenv(name, value)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        backfill = instance.get_backfill(launched["backfillId"])
    failed = backfill.asset_backfill_data.failed_and_downstream_subset
    assert {year_of(part.partition_key) for part in failed.iterate_asset_partitions()} <= {years[-1] + 1}
    assert status == ("COMPLETED_FAILED" if not failed.is_empty else "COMPLETED_SUCCESS")
    assert {state for _, state, *_ in runs} == {"SUCCESS"}, runs
    # the backfill's years, and the year after the last, whose run succeeds with nothing to do
    assert {year_of(key) for *_, key in runs} == {*years, years[-1] + 1}
    assert len(runs) == len({run_id for run_id, *_ in runs})
    for run_id, *_ in runs:
        assert query(database, "SELECT count(*) FROM event_logs WHERE run_id = %s", run_id)[0][0] > 0
        tags = dict(query(database, "SELECT key, value FROM run_tags WHERE run_id = %s", run_id))
        assert tags["nrledger/province"] == province
        assert tags["dagster/backfill"] == launched["backfillId"]
    # one province: its runs one at a time (the queue's limit on the province's tag), never side by side
    for (_, _, _, end, key), (_, _, begin_next, _, key_next) in zip(runs, runs[1:], strict=False):
        assert end <= begin_next, f"the runs of {key} and {key_next} overlap"
    # the later year's balance accounts were made once the earlier year's valued rows were there
    materialized = dict(
        ((asset_key, partition), when)
        for asset_key, partition, when in query(
            database,
            "SELECT asset_key, partition, max(timestamp) FROM event_logs "
            "WHERE dagster_event_type = 'ASSET_MATERIALIZATION' GROUP BY asset_key, partition",
        )
    )
    before, after = BACKFILL_PARTITIONS[0], BACKFILL_PARTITIONS[-1]
    assert materialized[('["balance", "value"]', after)] > materialized[('["land", "valued"]', before)]
    # every year's outputs are the set its manifest lists
    for year in years:
        assert main(["verify", "--year", str(year), "--output-dir", str(out)]) == 0
    # and the later year's balance opens with the earlier year's closing values, cell by cell
    first, second = YearLayout(out, years[0]), YearLayout(out, years[-1])
    cell = "region_code, category, item_code, subject, component"
    assert duckdb.execute(
        "SELECT count(*) FROM read_parquet($p) WHERE has_opening", {"p": str(first.balance_value)}
    ).fetchall() == [(0,)]
    [(opened, differing)] = duckdb.execute(
        "SELECT count(*), count(*) FILTER (WHERE b.opening <> a.closing) FROM read_parquet($second) b "
        f"JOIN read_parquet($first) a USING ({cell}) WHERE b.has_opening",
        {"second": str(second.balance_value), "first": str(first.balance_value)},
    ).fetchall()
    assert opened > 0 and differing == 0
    assert not YearLayout(out, years[-1] + 1).balance_value.exists()


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def _asset_keys():
    from assets_pipeline.defs.definitions import defs

    graph = defs.resolve_asset_graph()
    # the province-year assets (the nation's roll-up is partitioned by year alone; the delivered layers are inputs)
    return sorted(k for k in graph.get_all_asset_keys() if graph.get(k).is_executable and k.path != ["national"])
