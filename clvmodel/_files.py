"""Atomic file writing: a file (or a set of files) is either written whole or not at all.

Temporary files sit beside their targets, so the final renames are atomic on POSIX and Windows;
after any failure, including an interruption that raises (the command line turns SIGTERM into one),
no temporary file is left and the previous targets are untouched. New files get the permissions
the umask allows (``0o666 & ~umask``), like files made by ``open``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from clvmodel.errors import InputError

__all__ = ["same_file", "write_atomically", "write_text_atomically", "write_together"]

Writer = Callable[[Path], None]


def _creation_mode() -> int:
    """``0o666`` less the process umask: the mode ``open(path, "w")`` would give a new file."""
    try:  # Linux reports the umask without changing it (safe with threads)
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def folder_of(target: Path) -> Path:
    """The folder ``target`` goes into; an :class:`InputError` when it does not exist."""
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"cannot write {str(target)!r}: folder {str(folder)!r} does not exist.")
    return folder


def _temporary_beside(target: Path) -> Path:
    if target.is_dir():
        raise InputError(f"cannot write {str(target)!r}: it is a folder; give a file's path.")
    folder = folder_of(target)
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise InputError(f"cannot write {str(target)!r}: {exc.strerror}.") from exc
    os.close(handle)
    return Path(temporary)


def write_atomically(path: str | os.PathLike, write: Writer) -> Path:
    """Call ``write(temporary_path)`` and move the result to ``path`` only if it succeeds.

    Parameters
    ----------
    path : str or path-like
        The target; its folder must exist.
    write : callable
        Writes the content to the temporary path it is given.

    Returns
    -------
    pathlib.Path
        ``path``. After a failure no partial output and no temporary file is left behind.
    """
    return write_together([(path, write)])[0]


def write_text_atomically(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_together(items: Sequence[tuple[str | os.PathLike, Writer]]) -> list[Path]:
    """Write several files as one unit: all of them replace their targets, or none does.

    Every temporary file is created first (so an unwritable folder fails before any work), then
    each writer fills its own, and only when all succeeded are they renamed, under a lock beside
    the first target. The lock makes concurrent runs writing the same targets replace the whole
    set one after the other, so the files always come from the same run. A rename that fails
    halfway puts the previous files back.

    Parameters
    ----------
    items : sequence of (path, write)
        Targets and the functions that write them, as for :func:`write_atomically`.

    Returns
    -------
    list of pathlib.Path
        The targets, in order.
    """
    targets = [Path(path) for path, _ in items]
    temporaries: list[Path] = []
    try:
        for target in targets:
            temporaries.append(_temporary_beside(target))
        mode = _creation_mode()
        for (_, write), temporary in zip(items, temporaries, strict=True):
            write(temporary)
            os.chmod(temporary, mode)
        if len(targets) == 1:
            os.replace(temporaries[0], targets[0])
        else:
            with _lock_beside(targets[0]):
                _replace_all(temporaries, targets)
    finally:
        for temporary in temporaries:
            temporary.unlink(missing_ok=True)
    return targets


def _replace_all(temporaries: list[Path], targets: list[Path]) -> None:
    """Rename each temporary onto its target; on a failure, restore the targets already replaced."""
    backups: list[Path | None] = []
    done = 0
    try:
        for target in targets:
            backups.append(_hard_link_backup(target))
        for temporary, target in zip(temporaries, targets, strict=True):
            os.replace(temporary, target)
            done += 1
    except BaseException:
        for target, backup in zip(targets[:done], backups[:done], strict=True):
            if backup is not None:
                os.replace(backup, target)
            else:
                target.unlink(missing_ok=True)
        raise
    finally:
        for backup in backups:
            if backup is not None:
                backup.unlink(missing_ok=True)


def _hard_link_backup(target: Path) -> Path | None:
    """A second name for the current ``target`` (None when there is none or links are not
    supported), to put it back if a later rename of the set fails."""
    if not target.is_file():
        return None
    backup = target.with_name(f".{target.name}.{os.getpid()}.previous")
    backup.unlink(missing_ok=True)
    try:
        os.link(target, backup)
    except OSError:
        return None
    return backup


@contextmanager
def _lock_beside(target: Path) -> Iterator[None]:
    """An exclusive lock on ``.NAME.lock`` beside ``target``, removed when released.

    The lock file is re-checked after locking: a run that locked a file another run has just
    removed tries again, so removing the file never lets two runs in at once.
    """
    try:
        import fcntl
    except ImportError:  # Windows: renames are still atomic one by one
        yield
        return
    path = target.with_name(f".{target.name}.lock")
    while True:
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            if _names_open_file(path, handle):
                break
        except BaseException:
            os.close(handle)
            raise
        os.close(handle)
    try:
        yield
    finally:
        try:
            path.unlink(missing_ok=True)
        finally:
            os.close(handle)


def _names_open_file(path: Path, handle: int) -> bool:
    try:
        return os.path.samestat(os.stat(path), os.fstat(handle))
    except FileNotFoundError:
        return False


def same_file(first: str | os.PathLike, second: str | os.PathLike) -> bool:
    """Whether two paths name the same file: the same resolved path, or the same inode (a hard
    link or a symbolic link to it)."""
    try:
        return os.path.samefile(first, second)
    except OSError:
        return Path(first).resolve() == Path(second).resolve()


#: The CSV delimiters DuckDB's sniffer tries, by name.
CSV_DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}


def csv_header_line(path) -> str:
    """The first line of a CSV file ("" when it cannot be read)."""
    try:
        with open(path, encoding="utf-8", errors="replace", newline="") as file:
            return file.readline()
    except OSError:
        return ""


def csv_delimiter(header: str) -> str | None:
    """The delimiter a CSV header line uses: the most frequent of , ; tab and |, if any (every
    route reads a file with the delimiter DuckDB's reader detects)."""
    counts = {d: header.count(d) for d in CSV_DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else None
