"""A real PostgreSQL server for the session (``initdb`` + ``pg_ctl`` in a temporary folder on a
free port; see ``pg_server.py``), with the CDNOW 1/10 sample loaded as table ``cdnow``.

The tests are skipped when the server programs or the ADBC driver are missing; CI installs both
(``.ci/run`` installs the ``postgresql`` package, the dev extra the driver).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cli_run import run_cli  # noqa: E402
from pg_server import load_frame, shared_server  # noqa: E402


def pytest_collection_modifyitems(items):
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def pg_server():
    """The running server (skips the test when PostgreSQL or the driver is not installed)."""
    server = shared_server()
    if server is None:
        pytest.skip("PostgreSQL (initdb/pg_ctl) or adbc-driver-postgresql is not installed")
    return server


@pytest.fixture(scope="session")
def pg_uri(pg_server):
    return pg_server.uri


@pytest.fixture(scope="session")
def cdnow_table(pg_uri, cdnow_sample):
    """The CDNOW sample as table ``cdnow`` (text ids, timestamps, double amounts)."""
    load_frame(pg_uri, "cdnow", cdnow_sample)
    return "cdnow"


@pytest.fixture(scope="session")
def cdnow_file_model(tmp_path_factory, cdnow_sample):
    """A BG/NBD model file fitted by ``clvmodel fit`` on the CDNOW sample as a Parquet file
    (calibration to 1997-09-30): what the PostgreSQL routes' outputs are compared with."""
    folder = tmp_path_factory.mktemp("pg_file_model")
    parquet = folder / "cdnow.parquet"
    cdnow_sample.to_parquet(parquet, index=False)
    path = folder / "model.json"
    result = run_cli("fit", parquet, "--observation-end", "1997-09-30", "-o", path)
    assert result.exit_code == 0, result.output
    return path
