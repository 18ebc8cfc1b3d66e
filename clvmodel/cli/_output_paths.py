"""Output paths checked before any work: an output that would replace an input, two outputs
that are one file, an output that is a folder or whose folder does not exist."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from clvmodel._files import same_file
from clvmodel.errors import InputError


def refuse_overwrite(outputs: Mapping[str, object], inputs: Mapping[str, object]) -> None:
    """Raise when an output would replace an input (same path, a link to it, or a file inside an
    input folder) or two outputs are the same file.

    Parameters
    ----------
    outputs : mapping
        Option name as the user typed it (``"-o/--output"``) → path; ``None`` paths are skipped.
    inputs : mapping
        Argument or option name (``"TRANSACTIONS"``, ``"--spend-model"``) → path.
    """
    present_inputs = {name: path for name, path in inputs.items() if path is not None}
    present_outputs = {name: path for name, path in outputs.items() if path is not None}
    for flag, output in present_outputs.items():
        for name, source in present_inputs.items():
            if os.path.isdir(source):
                if _inside(output, source):
                    raise InputError(
                        f"{flag} {output} is inside the input folder {name} ({source}), where it "
                        "would be read as input next time; write it somewhere else."
                    )
            elif os.path.exists(output) and same_file(output, source):
                raise InputError(
                    f"{flag} {output} is the input {name} ({source}); writing it would destroy "
                    f"the input. Give {flag} another file name."
                )
    flags = list(present_outputs)
    for i, first in enumerate(flags):
        for second in flags[i + 1 :]:
            a, b = present_outputs[first], present_outputs[second]
            if Path(a).resolve() == Path(b).resolve() or (os.path.exists(a) and same_file(a, b)):
                raise InputError(f"{first} and {second} are the same file ({a}); give two names.")


def check_output_folders(outputs: Mapping[str, object]) -> None:
    """Raise before any work when an output is an existing folder (a file's path is needed) or
    its folder does not exist.

    Parameters
    ----------
    outputs : mapping
        Option name as the user typed it (``"--rejects"``) → path; ``None`` paths are skipped.
    """
    for flag, output in outputs.items():
        if output is None:
            continue
        if Path(output).is_dir():  # else refused only when written, after all the work
            raise InputError(
                f"cannot write {flag} {output}: it is a folder; give a file's path with {flag}."
            )
        folder = Path(output).parent
        if not folder.is_dir():
            raise InputError(
                f"cannot write {flag} {output}: folder {str(folder)!r} does not exist; create it "
                "first."
            )


def check_model_output(output, flag: str = "-o/--output") -> None:
    """Refuse, before any work, a model file whose name does not end in .json: a model file is
    versioned JSON (``clvmodel.load`` reads it), and one named ``model.csv`` or ``model.parquet``
    would pass for a table of scores. ``clvmodel subscriptions fit`` asks the same.

    Parameters
    ----------
    output : str or path-like
        The model file.
    flag : str
        The option as the user typed it.
    """
    if Path(output).suffix.lower() != ".json":
        raise InputError(f"{flag} {output}: a model file is JSON; give a file ending in .json.")


def check_rejects_file(path) -> None:
    """Refuse, before any work, a --rejects file whose name does not end in .csv (the rejects
    are written as CSV, whatever the name says).

    Parameters
    ----------
    path : str or path-like
        The --rejects file.
    """
    if Path(path).suffix.lower() != ".csv":
        raise InputError(f"--rejects {path}: the rejects file is a CSV; end it in .csv.")


def _inside(path, folder) -> bool:
    parent = Path(path).resolve().parent
    try:
        return os.path.samefile(parent, folder) or Path(folder).resolve() in parent.parents
    except OSError:
        return False
