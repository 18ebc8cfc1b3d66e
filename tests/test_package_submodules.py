"""Tests of the package's submodules as attributes of ``clvmodel``.

``clv.scoring`` and ``clv.engine``, documented modules, were attributes of the package only once
something else had imported them.
"""

from __future__ import annotations

import subprocess
import sys


def test_scoring_and_engine_are_attributes_of_the_package():
    code = (
        "import sys, clvmodel as clv\n"
        "assert 'clvmodel.scoring' not in sys.modules\n"
        "print(clv.scoring.score_customers.__name__, clv.engine.TransactionSource.__name__)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["score_customers", "TransactionSource"]
