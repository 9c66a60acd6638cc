"""The Dagster instance a year is compiled into, with its SQLite event log's connections kept open for the run.

Dagster's ``SqliteEventLogStorage`` makes a SQLAlchemy engine, opens a SQLite connection and closes it again for every
event it stores (twice for an asset event: the run's database, then the cross-run index); closing the last connection
of a WAL database also checkpoints it. A year stores about four hundred events, and on two cores that bookkeeping took
about a fifth of a small year's time under cProfile (8.9 s of 40 s). ``OpenSqliteEventLogStorage`` is the same
storage, the same files and the same schema, each event still its own committed transaction, with one engine and its
pool kept for each of the few databases in use. The command line's own runs open it through ``open_instance``; the
nation's embedded instance names ``AccountsInstance`` as its instance class in its ``dagster.yaml`` (``cli.nation``),
so its daemon and the run workers it starts use it too. Any other process may open the same files with Dagster's own
class, and an instance configured otherwise (PostgreSQL, ``deploy/``) is left as it is.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine

DAGSTERS_SQLITE_STORAGE = ("dagster._core.storage.sqlite_storage", "DagsterSqliteStorage")
DAGSTERS_SQLITE_EVENT_LOG = ("dagster._core.storage.event_log", "SqliteEventLogStorage")
KEPT_DATABASES = 4  # the index, the run's own database, and room for a run started beside it


class OpenSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log with each database's connection kept open between events (module docstring)."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._tables_seen: set[str] = set()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> OpenSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        # as Dagster's, but for the engine: the lock is held for the whole transaction, as there
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def has_table(self, table_name: str) -> bool:
        """Whether the index holds a table, as Dagster's method answers it (a new engine and connection each
        time, asked a few times per event), remembered once present: a migration adds tables, none removes one."""
        if table_name in self._tables_seen:
            return True
        present = super().has_table(table_name)
        if present:
            self._tables_seen.add(table_name)
        return present

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.get(shard)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard), connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
            )
            self._engines[shard] = engine
            while len(self._engines) > KEPT_DATABASES:
                self._engines.popitem(last=False)[1].dispose()
        else:
            self._engines.move_to_end(shard)
        return engine

    def dispose(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()
        super().dispose()


def open_instance(home: Path) -> dg.DagsterInstance:
    """The instance of ``home`` (its ``dagster.yaml``), as ``DagsterInstance.from_config`` opens it, with the
    event log's connections kept open when that log is Dagster's own SQLite one (the embedded default)."""
    ref = InstanceRef.from_dir(str(home))
    parts = (ref.run_storage_data, ref.event_storage_data, ref.schedule_storage_data)
    if ref.storage_data is not None and _names(ref.storage_data) == DAGSTERS_SQLITE_STORAGE and None not in parts:
        # Dagster's SQLite storage as a whole is these three parts, in the same folders (Dagster leaves them out
        # when the folder is named by an environment variable: that instance opens as configured)
        ref = ref._replace(storage_data=None)
    data = ref.event_storage_data
    if ref.storage_data is None and data is not None and _names(data) == DAGSTERS_SQLITE_EVENT_LOG:
        ref = ref._replace(
            event_storage_data=ConfigurableClassData(__name__, OpenSqliteEventLogStorage.__name__, data.config_yaml)
        )
    return dg.DagsterInstance.from_ref(ref)


def _names(data: ConfigurableClassData) -> tuple[str, str]:
    return data.module_name, data.class_name


class AccountsInstance(dg.DagsterInstance):
    """Dagster's embedded SQLite instance with ``OpenSqliteEventLogStorage`` as its event log, named in a folder's
    ``dagster.yaml`` (``instance_class``) so that every process opening the folder writes through connections kept
    open: the nation's daemon and the run workers it starts (``cli.nation``). The storage is Dagster's defaults for
    the folder the instance is opened from, computed when it is opened: the same files wherever the folder is moved
    or copied to (a path written into the file would follow the first place)."""

    @classmethod
    def config_schema(cls) -> dict:
        return {}  # nothing of its own in dagster.yaml

    @staticmethod
    def config_defaults(base_dir: str) -> dict:
        defaults = dict(InstanceRef.config_defaults(base_dir))
        dagsters = defaults["event_log_storage"]  # SqliteEventLogStorage in <base_dir>/history/runs
        event_log = ConfigurableClassData(__name__, OpenSqliteEventLogStorage.__name__, dagsters.config_yaml)
        defaults["event_log_storage"] = event_log
        parts = {
            name: {"module_name": data.module_name, "class_name": data.class_name, "config_yaml": data.config_yaml}
            for name, data in (
                ("run_storage", defaults["run_storage"]),
                ("event_log_storage", event_log),
                ("schedule_storage", defaults["schedule_storage"]),
            )
        }
        defaults["storage"] = ConfigurableClassData(  # JSON is YAML: Dagster reads it back with its YAML loader
            "dagster._core.storage.legacy_storage", "CompositeStorage", json.dumps(parts)
        )
        return defaults
