"""Fixtures shared across the test suite (session scope: each is built once per run).

The published parameters are those of Fader, Hardie and Lee (2005), fitted on the CDNOW 1/10 sample
with a 39-week calibration period ending 1997-09-30, time in weeks:

* BG/NBD, "Counting your customers the easy way", section 5: r = 0.2426, α = 4.4137, a = 0.7930,
  b = 2.4262.
* Gamma-Gamma, "RFM and CLV: using iso-value curves" (and Hardie's note on the Gamma-Gamma model of
  monetary value): p = 6.25, q = 3.74, γ = 15.44.
"""

from __future__ import annotations

import gc
import os
import sys
import warnings
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import settings
from published import PUBLISHED_BG, PUBLISHED_GG

import clvmodel as clv

# The suite starts many Python processes: the pytest-xdist workers, the CLI and batch-scoring
# subprocesses, Spark's Python workers, the notebook kernel. Where the environment asks Python not
# to write bytecode (PYTHONDONTWRITEBYTECODE), each of them compiles clvmodel and the test modules
# again (5-13 % of the suite's CPU seconds in three runs on 2 cores). They share it instead, in the
# __pycache__ folders beside the sources (ignored by git). Set before the workers start: pytest
# loads this file first.
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
# The workers already run in parallel, one per core or more: a BLAS library that starts threads
# of its own in each of them only oversubscribes the cores. OpenBLAS's threads spin while they
# wait, so on 2 cores a covariate fit with a 120-column design took 4.8 CPU seconds with two BLAS
# threads against 2.1 with one (and longer in wall time). One thread per worker, and for the
# subprocesses they start, unless the environment says otherwise.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

# Hypothesis profiles, chosen with HYPOTHESIS_PROFILE (default "dev", or "ci" when the CI variable
# is set): "dev" runs few examples for a quick local run; "ci" runs Hypothesis' full default
# number, derandomised so that a failure in CI reproduces. Under "ci" a test's own
# @settings(max_examples=...) takes precedence; under "dev" it is capped at the profile's number
# (pytest_collection_modifyitems below), so that the profile bounds the work of every test.
settings.register_profile("dev", max_examples=20, deadline=None)
settings.register_profile("ci", max_examples=100, deadline=None, derandomize=True, print_blob=True)
HYPOTHESIS_PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or (
    "ci" if os.environ.get("CI") else "dev"
)
settings.load_profile(HYPOTHESIS_PROFILE)
CAPPED_PROFILES = {"dev"}


# Test files that use the local Spark session (a JVM): pytest-xdist runs them on one worker.
SPARK_TEST_FILES = ("tests/spark/", "tests/test_bad_input/test_spark_bad_input.py")
# Folders whose files share an expensive session fixture (the PostgreSQL server with its tables,
# the CDNOW report): each goes to one worker, so that the fixture is built once, not per worker.
SHARED_FIXTURE_FOLDERS = ("tests/postgres/", "tests/report/")


def _work_unit(nodeid: str) -> str:
    """The unit of work a test belongs to: its file, "spark" for every Spark test file, or the
    folder for the files of a folder in ``SHARED_FIXTURE_FOLDERS``."""
    path = nodeid.split("::")[0]
    if path.startswith(SPARK_TEST_FILES):
        return "spark"
    return next((folder for folder in SHARED_FIXTURE_FOLDERS if path.startswith(folder)), path)


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist: ignored where it is not installed
def pytest_xdist_make_scheduler(config, log):
    """Send each test file to one worker (as ``--dist loadfile``), and all Spark files together.

    Every Spark test then runs on the same worker, which starts the one local Spark session,
    instead of each worker starting its own JVM. The units go out in the order
    ``pytest_collection_modifyitems`` gives them (the Spark unit, the longest, first).
    """
    from xdist.scheduler import LoadScopeScheduling

    config.option.loadscopereorder = False

    class FileScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _work_unit(nodeid)

    return FileScheduling(config, log)


TESTS = Path(__file__).resolve().parent


@pytest.hookimpl(hookwrapper=True)
def pytest_collect_file(file_path, parent):
    """Doctests come from the package only. ``--doctest-modules`` would also search every test
    module and conftest.py for examples (they have none), and importing the conftest.py files
    of two test folders given together (``pytest tests/postgres tests/report``) failed with
    "import file mismatch"."""
    outcome = yield
    if file_path.is_relative_to(TESTS):
        kept = [node for node in outcome.get_result() if type(node).__name__ != "DoctestModule"]
        outcome.force_result(kept)


def pytest_collection_modifyitems(config, items):
    """Order the units of work for pytest-xdist, and apply the Hypothesis profile's cap.

    The Spark unit goes first (it is the longest: started last, it would leave the other worker
    idle at the end), then the files with the most tests, as pytest-xdist orders them by default.
    """
    sizes = Counter(_work_unit(item.nodeid) for item in items)
    items.sort(
        key=lambda item: (_work_unit(item.nodeid) != "spark", -sizes[_work_unit(item.nodeid)])
    )
    _cap_hypothesis_examples(items)


def _cap_hypothesis_examples(items):
    """Under a capped Hypothesis profile, lower every test's own max_examples to its number."""
    if HYPOTHESIS_PROFILE not in CAPPED_PROFILES:
        return
    cap = settings.get_profile(HYPOTHESIS_PROFILE).max_examples
    for item in items:
        test = getattr(item, "function", None)
        # @given copies the test's @settings onto the wrapper, which reads them when it runs.
        own = getattr(test, "_hypothesis_internal_use_settings", None)
        if getattr(test, "is_hypothesis_test", False) and own is not None:
            if own.max_examples > cap:
                test._hypothesis_internal_use_settings = settings(own, max_examples=cap)


# The cyclic garbage collector: a worker holds the modules, test functions and session fixtures
# of the whole run (~850,000 objects), and each full collection walks all of them although none
# of them is garbage. Once collection is over and after each test file, the survivors are set
# aside (gc.freeze): later collections walk only what the tests since then have made. Young
# objects are collected every 10,000 allocations instead of 700, so that more of the short-lived
# ones are freed by reference counting before a collection looks at them. Over both workers the
# collector took 4.2 CPU s in one run, 5.1 s with the freeze alone and 10.4 s with neither.
@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session):
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    yield
    if nextitem is None or nextitem.path != item.path:
        gc.collect()
        gc.freeze()


CALIBRATION_END = "1997-09-30"
FULL_OBSERVATION_END = "1998-06-30"


# ---------------------------------------------------------------------------------------------
# Figures
@pytest.fixture(autouse=True)
def _close_pyplot_figures():
    """Plots drawn without ax= open pyplot figures (so that Jupyter shows them): close them after
    each test, if pyplot was imported at all."""
    yield
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")


# ---------------------------------------------------------------------------------------------
# Data
@pytest.fixture(scope="session")
def cdnow_sample():
    """The CDNOW 1/10 sample transaction log (2,357 customers)."""
    return clv.datasets.load_cdnow_sample()


@pytest.fixture(scope="session")
def cdnow_log_files(cdnow_sample, tmp_path_factory):
    """The CDNOW sample written as files: ISO text dates in ``tx.csv``, typed ``tx.parquet``."""
    folder = tmp_path_factory.mktemp("cdnow_log")
    csv, parquet = folder / "tx.csv", folder / "tx.parquet"
    cdnow_sample.assign(date=cdnow_sample["date"].dt.strftime("%Y-%m-%d")).to_csv(csv, index=False)
    cdnow_sample.to_parquet(parquet)
    return csv, parquet


@pytest.fixture(scope="session")
def cdnow_rfm(cdnow_sample):
    """RFM summary of the sample over the papers' 39-week calibration period, in weeks."""
    return clv.rfm_summary(cdnow_sample, observation_end=CALIBRATION_END, time_unit="W")


@pytest.fixture(scope="session")
def cdnow_split(cdnow_sample):
    """Calibration (to 1997-09-30) and holdout (to 1998-06-30) tables of the sample, in weeks,
    with clvmodel's data warnings silenced. Shared: do not modify them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        return clv.calibration_holdout_split(
            cdnow_sample, calibration_end=CALIBRATION_END, observation_end=FULL_OBSERVATION_END
        )


@pytest.fixture(scope="session")
def cdnow_full_rfm():
    """RFM summary of the full CDNOW log (23,570 customers) up to 1998-06-30, in weeks."""
    return clv.rfm_summary(
        clv.datasets.load_cdnow(), observation_end=FULL_OBSERVATION_END, time_unit="W"
    )


# ---------------------------------------------------------------------------------------------
# Models
@pytest.fixture(scope="session")
def published_bg():
    """BG/NBD with the published CDNOW parameters (weeks)."""
    return clv.BetaGeoModel.from_params(PUBLISHED_BG, time_unit="W")


@pytest.fixture(scope="session")
def published_gg():
    """Gamma-Gamma with the published CDNOW parameters."""
    return clv.GammaGammaModel.from_params(PUBLISHED_GG, time_unit="W")


@pytest.fixture(scope="session")
def fitted_bg(cdnow_rfm):
    """BG/NBD fitted on the CDNOW sample calibration period."""
    return clv.BetaGeoModel().fit(cdnow_rfm)


@pytest.fixture(scope="session")
def fitted_gg(cdnow_rfm):
    """Gamma-Gamma fitted on the repeat buyers of the CDNOW sample calibration period."""
    return clv.GammaGammaModel().fit(cdnow_rfm)


@pytest.fixture(scope="session")
def cdnow_split_bg(cdnow_split):
    """BG/NBD fitted on the calibration table of ``cdnow_split``. Shared: do not refit it."""
    return clv.BetaGeoModel().fit(cdnow_split[0])


@pytest.fixture(scope="session")
def cdnow_split_gg(cdnow_split):
    """Gamma-Gamma fitted on the calibration table of ``cdnow_split``. Shared: do not refit it."""
    return clv.GammaGammaModel().fit(cdnow_split[0])


# ---------------------------------------------------------------------------------------------
# Shared by test files in several folders (CLI, bad input, churn, value, coverage): defined once
# here, not copied into each file. Read-only: none of those tests modifies what they return.
@pytest.fixture(scope="session")
def published_models(tmp_path_factory):
    """A models file (BG/NBD in weeks and Gamma-Gamma, the published CDNOW parameters), saved
    without fitting."""
    from clvmodel.models.bundle import ModelBundle

    folder = tmp_path_factory.mktemp("published_models")
    bg = clv.BetaGeoModel.from_params(PUBLISHED_BG, time_unit="W")
    gg = clv.GammaGammaModel.from_params(PUBLISHED_GG)
    return ModelBundle(bg, gg).save(folder / "models.json")


@pytest.fixture(scope="session")
def cdnow_small_log(cdnow_sample):
    """The transactions of the CDNOW sample's first 60 customers (by id)."""
    first = sorted(cdnow_sample["customer_id"].unique())[:60]
    return cdnow_sample[cdnow_sample["customer_id"].isin(first)].reset_index(drop=True)


@pytest.fixture(scope="session")
def journey_log():
    """The simulated log of ``tests/journey_log_helpers.py`` (300 customers, 2020-01-01 on)."""
    from journey_log_helpers import simulated_log

    return simulated_log()


@pytest.fixture(scope="session")
def journey_split(journey_log):
    """``journey_log`` split into calibration (to 2020-12-31) and holdout (to 2021-06-19) tables."""
    return clv.calibration_holdout_split(journey_log, "2020-12-31", "2021-06-19")


# ---------------------------------------------------------------------------------------------
# Java: class data sharing for the test JVMs (Spark, the Nu HTML Checker)
class JavaClassArchive:
    """A class-data-sharing archive (JDK 13+ ``-XX:ArchiveClassesAtExit``) for one Java program.

    A JVM spends most of its start parsing, verifying and linking classes (Spark loads ~15,000).
    The first run of a program dumps the classes it loaded to an archive when its JVM exits; later
    runs map that archive instead: a local Spark session starts in half the CPU time (~6 s, not
    ~12 s, on 2 cores). The archive lives in the user's cache folder, keyed by the Java runtime,
    the program's jars and the JVM options, so a new Java or pyspark makes a new one. It is
    written under a temporary name and renamed when complete: concurrent runs never read a
    partial archive.
    """

    def __init__(self, name: str, java: str | None, jars: list, options: list):
        import hashlib
        import shutil

        java = java or shutil.which("java") or "java"
        key = [os.path.realpath(java), *options]
        for jar in [java, *sorted(map(str, jars))]:
            try:
                stat = os.stat(os.path.realpath(jar))
                key.append(f"{jar}:{stat.st_size}:{stat.st_mtime_ns}")
            except OSError:
                key.append(str(jar))
        digest = hashlib.sha256("\n".join(key).encode()).hexdigest()[:16]
        cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
        self.folder = Path(cache) / f"clvmodel-tests-{os.getuid()}"
        self.name = name
        self.path = self.folder / f"{name}-{digest}.jsa"
        self.partial = None

    def options(self) -> list:
        """JVM options: use the archive if there is one, else write one when the JVM exits."""
        quiet = ["-Xlog:cds=off", "-Xlog:cds+dynamic=off"]  # classes it cannot archive, etc.
        self._remove_abandoned()
        if self.path.is_file():
            return [f"-XX:SharedArchiveFile={self.path}", "-Xshare:auto", *quiet]
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            return []
        self.partial = self.path.with_name(f"{self.path.stem}.{os.getpid()}.partial")
        return [f"-XX:ArchiveClassesAtExit={self.partial}", *quiet]

    def _remove_abandoned(self) -> None:
        """Delete this program's partial archives older than an hour: those of runs killed before
        they could publish them (a JVM writes one in under a minute, and the process that renames
        it gives up after ten minutes). Each is as large as an archive: ~200 MB for Spark."""
        import time

        cutoff = time.time() - 3600
        for partial in self.folder.glob(f"{self.name}-*.partial"):
            try:
                if partial.stat().st_mtime < cutoff:
                    partial.unlink()
            except OSError:
                pass  # gone already, or not ours to delete

    def publish(self) -> None:
        """After the JVM has exited: the archive it wrote under its final name, in place of the
        archives of other versions (a JVM stopped while writing leaves no header: deleted)."""
        if self.partial is not None and self.partial.is_file():
            with open(self.partial, "rb") as archive:
                complete = archive.read(4) == _ARCHIVE_MAGIC
            if not complete:
                self.partial.unlink(missing_ok=True)
                return
            os.replace(self.partial, self.path)
            for stale in self.folder.glob(f"{self.name}-*.jsa"):
                if stale != self.path:
                    stale.unlink(missing_ok=True)

    def keep_when_written(self, pid: int) -> None:
        """Publish the archive under its final name once JVM ``pid`` has exited.

        The JVM writes the archive as it exits (for Spark: ~200 MB, some 10-30 s). A detached
        process waits for that and renames the file, so the test run does not wait for it.
        """
        import subprocess

        if self.partial is None:
            return
        subprocess.Popen(
            [sys.executable, "-c", _KEEP_ARCHIVE, str(pid), str(self.partial), str(self.path)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip


# The first bytes of a dynamic CDS archive (JDK 17): the JVM writes this header last, so a file
# without it is incomplete, and mapping a truncated archive crashes the JVM.
_ARCHIVE_MAGIC = bytes.fromhex("a8ab0bf0")

# Run by a detached Python: wait for the JVM (argv[1]) to exit or become a zombie, then move
# its archive (argv[2]) to its final name (argv[3]) and delete archives of other versions.
_KEEP_ARCHIVE = """
import os, sys, time
from pathlib import Path
pid, partial, final = int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
deadline = time.monotonic() + 600
while time.monotonic() < deadline:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        break
    if state in "ZX":
        break
    time.sleep(0.5)
else:
    partial.unlink(missing_ok=True)
    sys.exit()
if partial.is_file() and partial.open("rb").read(4) != bytes.fromhex("a8ab0bf0"):
    partial.unlink()  # no header: the JVM stopped while writing it
if partial.is_file():
    os.replace(partial, final)
    for stale in final.parent.glob(final.name.split("-")[0] + "-*.jsa"):
        if stale != final:
            stale.unlink(missing_ok=True)
"""


@pytest.fixture(scope="session")
def java_class_archive():
    """:class:`JavaClassArchive`, for tests that start a Java program (e.g. the Nu HTML Checker):
    ``archive = java_class_archive(name, java, jars, options)``, then ``archive.options()`` on
    the command line and ``archive.publish()`` once the program has exited."""
    return JavaClassArchive


def _spark_jars() -> list:
    import pyspark

    return sorted((Path(pyspark.__file__).parent / "jars").glob("*.jar"))


# ---------------------------------------------------------------------------------------------
# Spark: one local session for every Spark test module (starting one costs 10-20 s)
@pytest.fixture(scope="session")
def spark():
    """A local[2] Spark session (needs Java 17+; used by the tests marked ``spark``)."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    # One JIT compiler thread, not the default two: for the Spark tests alone (-n 0, 2 cores) the
    # JVM used 46.4 CPU s (43.7-49.1, seven runs) against 50.3 s (48.4-52.6), and less in each of
    # three alternating pairs (2026-12-05).
    java_options = (
        "-XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:+UseSerialGC -Xms1g -Xmn256m "
        "-XX:-UsePerfData"
    )
    java_home = os.environ.get("JAVA_HOME")
    archive = JavaClassArchive(
        "spark",
        os.path.join(java_home, "bin", "java") if java_home else None,
        _spark_jars(),
        java_options.split(),
    )
    session = (
        SparkSession.builder.master("local[2]")
        .appName("clvmodel-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "2g")
        # The test data are small: Spark's per-query planning and code generation, not the rows,
        # cost the time. Fewer JIT and GC threads, a heap sized from the start (fewer GCs while
        # Spark warms up), no adaptive re-planning, no code generation (expressions are
        # interpreted: no Janino compile per query) make each query cheaper on 2 cores. Two
        # partitions, not one, so that every test still merges per-partition results.
        .config("spark.driver.extraJavaOptions", " ".join([java_options, *archive.options()]))
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
        .config("spark.default.parallelism", "2")
        # pandas <-> Spark through Arrow (createDataFrame, toPandas), not row by row in Python.
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    process = getattr(SparkContext._gateway, "proc", None)
    if archive.partial is not None and process is not None:
        archive.keep_when_written(process.pid)  # the JVM exits (and writes it) after pytest


@pytest.fixture(scope="session")
def clvs(spark):
    """The ``clvmodel.spark`` module, imported once a session is running."""
    import clvmodel.spark

    return clvmodel.spark
