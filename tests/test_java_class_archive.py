"""The class-data-sharing archives of the test JVMs (tests/conftest.py: JavaClassArchive) are
published only when complete, replace those of other versions, and partial archives left by runs
killed before publishing are cleaned up instead of piling up in the user's cache folder."""

from __future__ import annotations

import os
import time

import pytest

MAGIC = bytes.fromhex("a8ab0bf0")  # a complete dynamic archive's first bytes (JDK 17)


@pytest.fixture
def archive(java_class_archive, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    jar = tmp_path / "program.jar"
    jar.write_bytes(b"jar")
    return java_class_archive("program", None, [jar], ["-Xmx1g"])


def _age(path, seconds):
    when = time.time() - seconds
    os.utime(path, (when, when))


def test_a_first_run_writes_a_partial_archive_and_old_abandoned_ones_go(archive):
    archive.folder.mkdir(parents=True)
    abandoned = archive.folder / f"{archive.path.stem}.1.partial"
    abandoned.write_bytes(MAGIC + b"classes")
    _age(abandoned, 2 * 3600)
    recent = archive.folder / f"{archive.path.stem}.2.partial"
    recent.write_bytes(b"")  # another run's JVM may still be writing it
    _age(recent, 60)
    other_program = archive.folder / "other-0123456789abcdef.3.partial"
    other_program.write_bytes(b"")
    _age(other_program, 2 * 3600)

    options = archive.options()
    assert options[0] == f"-XX:ArchiveClassesAtExit={archive.partial}"
    assert archive.partial.name == f"{archive.path.stem}.{os.getpid()}.partial"
    assert not abandoned.exists()
    assert recent.exists() and other_program.exists()


def test_publish_keeps_a_complete_archive_and_drops_other_versions(archive):
    archive.options()
    stale = archive.folder / "program-fedcba9876543210.jsa"
    stale.write_bytes(MAGIC)
    archive.partial.write_bytes(MAGIC + b"classes")
    archive.publish()
    assert archive.path.read_bytes() == MAGIC + b"classes"
    assert not archive.partial.exists() and not stale.exists()
    abandoned = archive.folder / f"{archive.path.stem}.1.partial"
    abandoned.write_bytes(MAGIC)
    _age(abandoned, 2 * 3600)
    assert archive.options()[0] == f"-XX:SharedArchiveFile={archive.path}"
    assert not abandoned.exists()  # cleaned up also when the archive is only read


def test_publish_deletes_an_archive_the_jvm_did_not_finish(archive):
    archive.options()
    archive.partial.write_bytes(b"\0" * 16)  # no header: stopped while writing
    archive.publish()
    assert not archive.partial.exists() and not archive.path.exists()
