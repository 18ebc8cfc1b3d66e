"""A throw-away PostgreSQL server for tests and benchmarks: ``initdb`` + ``pg_ctl`` in a
temporary folder, on a free local port, with its unix socket in that folder.

``initdb`` refuses to run as root (as CI does): the server commands then run as the unprivileged
user ``postgres`` through ``runuser``, with the folder handed over to it.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

#: Where Debian (and this machine) keep the server programs when they are not on the PATH.
_SEARCH = ["/usr/local/bin", *sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]


def server_program(name: str) -> str | None:
    """The path of ``initdb``/``pg_ctl``, or None when PostgreSQL is not installed."""
    found = shutil.which(name)
    if found:
        return found
    for folder in _SEARCH:
        candidate = Path(folder) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    """Start with :meth:`start`, stop with :meth:`stop`; :attr:`uri` reaches the superuser
    ``clv`` (password ``clv-secret``) over TCP on 127.0.0.1."""

    user = "clv"
    password = "clv-secret"

    def __init__(self, folder: str | None = None):
        self.folder = Path(folder or tempfile.mkdtemp(prefix="clv-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self._as_root = hasattr(os, "geteuid") and os.geteuid() == 0
        self._watcher: subprocess.Popen | None = None  # see _watch

    @property
    def uri(self) -> str:
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/postgres"

    def uri_for(self, user: str, password: str, database: str = "postgres") -> str:
        return f"postgresql://{user}:{password}@127.0.0.1:{self.port}/{database}"

    def _command(self, *command: str) -> tuple[str, ...]:
        return ("runuser", "-u", "postgres", "--", *command) if self._as_root else command

    def _run(self, *command: str, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(
            self._command(*command), check=True, capture_output=True, text=True, **kwargs
        )

    def start(self) -> PostgresServer:
        initdb, pg_ctl = server_program("initdb"), server_program("pg_ctl")
        if not initdb or not pg_ctl:
            raise RuntimeError("PostgreSQL is not installed (no initdb/pg_ctl)")
        self.folder.mkdir(parents=True, exist_ok=True)
        secret = self.folder / "pwfile"
        secret.write_text(self.password + "\n")
        if self._as_root:
            shutil.chown(self.folder, "postgres")
            shutil.chown(secret, "postgres")
            os.chmod(self.folder, 0o755)
        self._run(
            initdb, "-D", str(self.data), "-U", self.user, f"--pwfile={secret}",
            "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        # A throw-away server: no durability, and no WAL for tables created and filled in one
        # transaction (wal_level=minimal: CREATE TABLE ... AS of 1.5M rows takes half the time).
        # A statement waits at most a minute for a lock: a lock left behind by a connection that
        # was never closed fails the statement, with PostgreSQL's message, instead of hanging the
        # suite (test_postgres_sources_closed.py).
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=40 "
            "-c wal_level=minimal -c max_wal_senders=0 -c lock_timeout=60s"
        )
        self._run(
            pg_ctl, "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"), "-w",
            "-t", "60", "start",
        )  # fmt: skip
        self._watch(pg_ctl)
        return self

    def _watch(self, pg_ctl: str) -> None:
        """Start a detached process that stops the server and deletes its folder if this process
        ends without calling :meth:`stop` (killed, or a crashed test session whose workers
        never reach ``atexit``). It waits for the end of a pipe that only this process holds:
        the system closes the pipe when this process ends, however it ends."""
        stop = self._command(pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop")
        self._watcher = subprocess.Popen(
            [sys.executable, "-c", _WATCH, str(self.folder), *stop],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip

    def stop(self) -> None:
        close_connections()
        pg_ctl = server_program("pg_ctl")
        try:
            if pg_ctl and (self.data / "postmaster.pid").exists():
                self._run(pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
            if self._watcher is not None:
                self._watcher.stdin.close()  # the server is gone: nothing left to watch


# Run by a detached Python: wait until the pipe on stdin closes (the process that started the
# server has ended or stopped it), then stop the server (argv[2:]) if it still runs and delete
# its folder (argv[1]).
_WATCH = """
import shutil, subprocess, sys
from pathlib import Path
sys.stdin.buffer.read()
folder, stop = Path(sys.argv[1]), sys.argv[2:]
if (folder / "data" / "postmaster.pid").exists():
    subprocess.run(stop, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
shutil.rmtree(folder, ignore_errors=True)
"""

_SHARED: PostgresServer | None = None


def shared_server() -> PostgresServer | None:
    """One server for the whole test session (started on first use, stopped at exit), or None
    when PostgreSQL or the ADBC driver is not installed."""
    global _SHARED
    if _SHARED is None:
        try:
            import adbc_driver_postgresql.dbapi  # noqa: F401
        except ImportError:
            return None
        if not server_program("initdb") or not server_program("pg_ctl"):
            return None
        import atexit

        _SHARED = PostgresServer().start()
        atexit.register(_SHARED.stop)
    return _SHARED


# One open connection per URI for run_sql: an ADBC connection costs ~70 ms of CPU to open (it
# reads the server's type catalogue), and tests poll the server with run_sql in loops.
_CONNECTIONS: dict = {}
_CONNECTIONS_LOCK = threading.Lock()


def run_sql(uri: str, *statements: str):
    """Run statements in one transaction; the rows of the last one.

    The connection stays open for the next call (autocommit, with an explicit transaction per
    call, so that it holds no snapshot or lock in between); a failed call closes it.
    """
    import adbc_driver_postgresql.dbapi as dbapi

    with _CONNECTIONS_LOCK:
        connection = _CONNECTIONS.pop(uri, None)
        if connection is not None:
            try:  # a connection cut since the last call: reconnect (nothing has run yet)
                with connection.cursor() as cursor:
                    cursor.execute("BEGIN")
            except Exception:  # noqa: BLE001 - any failure here means a dead connection
                with contextlib.suppress(Exception):
                    connection.close()
                connection = None
        if connection is None:
            connection = dbapi.connect(uri, autocommit=True)
            with connection.cursor() as cursor:
                cursor.execute("BEGIN")
        try:
            with connection.cursor() as cursor:
                rows = None
                for statement in statements:
                    cursor.execute(statement)
                    rows = cursor.fetchall() if cursor.description else None
                cursor.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(Exception):
                connection.close()  # the open transaction is rolled back with it
            raise
        _CONNECTIONS[uri] = connection
    return rows


def close_connections() -> None:
    """Close the connections kept open by :func:`run_sql`."""
    with _CONNECTIONS_LOCK:
        while _CONNECTIONS:
            _, connection = _CONNECTIONS.popitem()
            with contextlib.suppress(Exception):
                connection.close()


def load_frame(uri: str, name: str, frame) -> None:
    """``frame`` as table ``name`` (replaced), with the types Arrow gives its columns."""
    import adbc_driver_postgresql.dbapi as dbapi
    import pyarrow as pa

    with dbapi.connect(uri) as connection, connection.cursor() as cursor:
        cursor.execute(f'DROP TABLE IF EXISTS "{name}"')
        cursor.adbc_ingest(name, pa.Table.from_pandas(frame, preserve_index=False), mode="create")
        connection.commit()


def count_catalog_reads(monkeypatch) -> list:
    """Record each driver database the library creates (each reads the server's type catalog)."""
    import adbc_driver_postgresql

    from clvmodel._postgres_connect import mask_password

    made = []
    real = adbc_driver_postgresql.connect

    def counting(*args, **kwargs):
        made.append(mask_password(args[0] if args else kwargs.get("uri")))
        return real(*args, **kwargs)

    monkeypatch.setattr(adbc_driver_postgresql, "connect", counting)
    return made
