"""BG/BB customers drawn from the model's story, over n observed and some further opportunities:
shared by the tests of the conditional predictions and of the count distribution."""

from __future__ import annotations

import numpy as np
import pandas as pd


def simulate_opportunities(truth: dict, size: int, n: int, ahead: int, seed: int):
    """Histories (``frequency``, ``recency``, ``n_periods``) over ``n`` opportunities, the
    purchases in the next ``ahead``, and whether each customer was alive at opportunity n."""
    rng = np.random.default_rng(seed)
    p = rng.beta(truth["alpha"], truth["beta"], size)
    death = rng.geometric(rng.beta(truth["gamma"], truth["delta"], size))
    opportunity = np.arange(1, n + ahead + 1)
    buys = (rng.uniform(size=(size, n + ahead)) < p[:, None]) & (opportunity < death[:, None])
    seen = buys[:, :n]
    x = seen.sum(axis=1)
    t_x = np.where(x > 0, np.max(np.where(seen, opportunity[:n], 0), axis=1), 0)
    history = pd.DataFrame({"frequency": x, "recency": t_x, "n_periods": n})
    return history, buys[:, n:].sum(axis=1), death > n
