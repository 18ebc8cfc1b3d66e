"""Store the mpmath references of tests/models/test_special.py (about 150 s of mpmath).

Run from the repository root after changing the grid in test_special.py:

    python tests/models/make_special_reference.py

It runs that test module with CLVMODEL_RECORD_REFERENCES set, so that every reference the tests ask
for is computed live by the two agreeing mpmath methods and written, at 30 significant digits, to
tests/models/reference/bgnbd_expected_if_alive_mpmath.csv.
"""

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TABLE = HERE / "reference" / "bgnbd_expected_if_alive_mpmath.csv"

if __name__ == "__main__":
    TABLE.parent.mkdir(exist_ok=True)
    environment = dict(os.environ, CLVMODEL_RECORD_REFERENCES=str(TABLE))
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        str(HERE / "test_special.py"),
    ]
    sys.exit(subprocess.run(command, env=environment, check=False).returncode)
