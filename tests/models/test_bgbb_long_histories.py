"""BG/BB with long histories and horizons: the likelihood, P(alive) and P(no purchase) are summed
in bounded memory (they padded every row to the widest n − t_x, so one row of n_periods = 10⁸
took 763 MiB and a fit with one row of 200,000 days 8 GiB), and the count interval refuses a
horizon it cannot tabulate. References: the definition of the likelihood, Fader, Hardie and Shang
(2010, eq. 5), at 30 digits with mpmath."""

import subprocess
import sys
import textwrap

import mpmath as mp
import numpy as np
import pandas as pd
import pytest

from clvmodel.errors import InputError
from clvmodel.models.beta_geo_beta_binom import BetaGeoBetaBinomModel

PARAMS = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}


def _reference_loglik(x, t_x, n):
    mp.mp.dps = 30
    a, b, g, d = (mp.mpf(str(PARAMS[k])) for k in ("alpha", "beta", "gamma", "delta"))
    alive = mp.beta(a + x, b + n - x) * mp.beta(g, d + n)
    died = mp.fsum(
        mp.beta(a + x, b + t_x - x + i) * mp.beta(g + 1, d + t_x + i) for i in range(n - t_x)
    )
    return float(mp.log((alive + died) / (mp.beta(a, b) * mp.beta(g, d))))


def test_rows_of_many_widths_match_the_definition():
    """Rows of widths 1 … 300 in one table with a row of width 3,000: each row's ln L is the
    30-digit sum of eq. (5), however wide the other rows are."""
    rng = np.random.default_rng(3)
    n = np.concatenate([rng.integers(1, 301, 40), [3_000]])
    t_x = np.floor(rng.uniform(0, 1, n.size) * n).astype(int)
    x = np.where(t_x > 0, np.minimum(t_x, rng.integers(1, 20, n.size)), 0)
    model = BetaGeoBetaBinomModel.from_params(PARAMS)
    ll, _ = model._loglik(
        model.params_.to_numpy(), model._grid(*(v.astype(float) for v in (x, t_x, n)))
    )
    for i in list(range(0, 40, 4)) + [40]:
        assert ll[i] == pytest.approx(
            _reference_loglik(int(x[i]), int(t_x[i]), int(n[i])), rel=1e-13
        )


# The limit is set above what the process holds once its libraries are loaded (numpy, scipy and
# numba reserve 0.4-1.5 GB of address space, by version and BLAS threads, before any row is read).
_LIMITED = """
import resource
import numpy as np, pandas as pd
from clvmodel.models.beta_geo_beta_binom import BetaGeoBetaBinomModel
P = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
m = BetaGeoBetaBinomModel.from_params(P)
one = np.ones(1)
m._loglik(m.params_.to_numpy(), m._grid(one, one, 3 * one))
m.probability_alive(pd.DataFrame({"frequency": [1], "recency": [1], "n_periods": [10]}))
with open("/proc/self/status") as status:
    held = int(status.read().split("VmSize:")[1].split()[0]) * 1024
resource.setrlimit(resource.RLIMIT_AS, (held + 600_000_000, held + 600_000_000))
rng = np.random.default_rng(0)
n = np.concatenate([rng.integers(1, 301, 3000), [100_000]]).astype(float)
t_x = np.floor(rng.uniform(0, 1, n.size) * n)
x = np.where(t_x > 0, 1.0, 0.0)
ll, grad = m._loglik(m.params_.to_numpy(), m._grid(x, t_x, n))
one, one_grad = m._loglik(m.params_.to_numpy(), m._grid(x[-1:], t_x[-1:], n[-1:]))
alive = m.probability_alive(pd.DataFrame({"frequency": [1], "recency": [1], "n_periods": [10**8]}))
print(repr((float(ll[-1]), float(one[0]), float(np.abs(grad[:, -1] - one_grad[:, 0]).max()),
            bool(np.isfinite(ll).all()), float(alive.iloc[0]))))
"""


def test_wide_rows_in_bounded_memory():
    """3,000 rows of widths up to 300 with one of 100,000, and P(alive) at n_periods = 10⁸, with
    600 MB of address space beyond the loaded libraries (the padded grid needed 2.4 GB per array
    and 763 MiB): the wide row's ln L and gradient are those it has alone."""
    run = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_LIMITED)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    wide, alone, grad_diff, finite, alive = eval(run.stdout.strip().splitlines()[-1])
    assert finite
    assert wide == pytest.approx(alone, rel=1e-14)
    assert grad_diff < 1e-14
    assert 0.0 < alive < 1e-20  # one purchase at 1 and none in 10⁸ opportunities: gone


def test_long_horizons():
    """predict takes any n_star without an interval (it built a 7.45 GiB table at 10⁹), and the
    count's prediction interval refuses n_star above its documented limit."""
    from clvmodel.models._opportunity_counts import MAX_INTERVAL_HORIZON

    model = BetaGeoBetaBinomModel.from_params(PARAMS)
    row = pd.DataFrame({"frequency": [3], "recency": [3], "n_periods": [6]})
    table = model.predict(row, 10**9)
    expected = model.expected_purchases(row, 10**9)
    assert table["expected_purchases"].iloc[0] == pytest.approx(expected.iloc[0], rel=1e-14)
    # P(no purchase) is at least P(dead now), and falls with the horizon
    assert 1 - table["probability_alive"].iloc[0] <= table["probability_no_purchase"].iloc[0]
    shorter = model.predict(row, 10**4)["probability_no_purchase"].iloc[0]
    assert table["probability_no_purchase"].iloc[0] <= shorter
    with pytest.raises(InputError, match=f"at most {MAX_INTERVAL_HORIZON}"):
        model.predict(row, MAX_INTERVAL_HORIZON + 1, interval=0.9)
