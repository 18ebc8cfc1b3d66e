"""Whether a CSV file holds text DuckDB reads as the user meant: not empty, and UTF-8.

DuckDB reads CSV files as UTF-8 and stops at the first byte that is not (``CSV Error on Line:
2``, or, for a byte beyond the lines it sniffs, a failure half-way through a summary); an empty
file it reads as one column, ``column0``. Both are refused here first, saying what is wrong with
the file and how to fix it, never guessing its encoding.
"""

from __future__ import annotations

import codecs
import os
import shlex
from pathlib import Path

from clvmodel.errors import InputError

_BLOCK = 1 << 20  # bytes read at a time (a batch job's memory is its batches')
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")  # UTF-16's byte-order marks


def check_csv_text(csv: str | os.PathLike) -> None:
    """Refuse a CSV file that is empty (or blank) or not UTF-8 text.

    Parameters
    ----------
    csv : str or os.PathLike
        The file.

    Raises
    ------
    InputError
        Saying the file is empty, or which line is not UTF-8 and how to convert the file.
    """
    path = Path(csv)
    try:
        with path.open("rb") as handle:
            start = handle.read(1 << 16)
    except OSError:  # unreadable (a folder, no permission): DuckDB says why
        return
    if len(start) < 1 << 16 and not start.removeprefix(b"\xef\xbb\xbf").strip():
        raise InputError(f"{str(path)!r} is empty: it has no header and no rows.")
    if _is_utf8(path):
        return
    found = _first_line_not_utf8(path)
    if found is None:  # (only a character cut short at the very end)
        found = (_line_count(path), b"")
    line, text = found
    converted = path.with_name(f"{path.stem}-utf8{path.suffix}")
    utf16 = start[:2] in _UTF16_BOMS
    encoding = "utf-16" if utf16 else "latin1"
    convert = (
        f"convert it first, e.g. `iconv -f {encoding} -t utf-8 {shlex.quote(str(path))} > "
        f"{shlex.quote(str(converted))}`"
    )
    if utf16:
        raise InputError(
            f"{str(path)!r} is UTF-16 text, not UTF-8; CSV files are read as UTF-8: {convert}, or "
            "write it as Parquet."
        )
    shown = " ".join(text.decode("latin-1").split())
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    raise InputError(
        f"{str(path)!r} is not UTF-8 text: line {line} has bytes UTF-8 does not allow ({shown!r} "
        f"if it is Latin-1); CSV files are read as UTF-8: {convert} (cp1252 in place of latin1 "
        "for a file saved by Excel on Windows), or write it as Parquet."
    )


def _is_utf8(path: Path) -> bool:
    """Whether ``path`` is UTF-8 throughout: one pass, decoding only the blocks that are not
    ASCII (a character split between two blocks is kept by the incremental decoder)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    block = bytearray(_BLOCK)
    with path.open("rb") as handle:
        while size := handle.readinto(block):
            part = block if size == _BLOCK else block[:size]
            if part.isascii() and not decoder.getstate()[0]:
                continue
            try:
                decoder.decode(part)
            except UnicodeDecodeError:
                return False
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _line_count(path: Path) -> int:
    """The number of lines of ``path``."""
    with path.open("rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(_BLOCK), b"")) + 1


def _first_line_not_utf8(path: Path) -> tuple[int, bytes] | None:
    """The number (from 1) and bytes of the first line of ``path`` that is not UTF-8, or None.
    ASCII blocks, the usual case, are passed over without decoding."""
    line, carry = 1, b""
    with path.open("rb") as handle:
        while True:
            block = handle.read(_BLOCK)
            data = carry + block
            # Whole lines only, so that no character is split between two blocks.
            cut = data.rfind(b"\n") + 1 if block else len(data)
            if block and cut == 0:
                carry = data
                continue
            part, carry = data[:cut], data[cut:]
            if not part.isascii():
                try:
                    part.decode("utf-8")
                except UnicodeDecodeError as error:
                    begin = part.rfind(b"\n", 0, error.start) + 1
                    end = part.find(b"\n", error.start)
                    found = part[begin : end if end >= 0 else len(part)]
                    return line + part.count(b"\n", 0, error.start), found
            if not block:
                return None
            line += part.count(b"\n")
