"""matplotlib figures from clvmodel's result tables.

Every function takes the result it draws and an optional ``ax``, draws on that Axes (or a new
figure's), and returns the Axes; none calls ``plt.show()`` or touches global pyplot state beyond
creating a figure when no ``ax`` is given.
"""

from clvmodel.plotting._common import new_axes
from clvmodel.plotting.churn import plot_churn_risk_vs_value, plot_churn_tiers
from clvmodel.plotting.compare import plot_model_comparison
from clvmodel.plotting.heatmaps import frequency_recency_grid, plot_frequency_recency
from clvmodel.plotting.holdout import (
    plot_conditional_expectation,
    plot_period_transactions,
    plot_predicted_vs_actual,
    plot_reliability,
    plot_tracking,
)
from clvmodel.plotting.uncertainty import plot_coverage, plot_value_intervals
from clvmodel.plotting.value import plot_clv_vs_naive

__all__ = [
    "frequency_recency_grid",
    "new_axes",
    "plot_churn_risk_vs_value",
    "plot_churn_tiers",
    "plot_clv_vs_naive",
    "plot_conditional_expectation",
    "plot_coverage",
    "plot_frequency_recency",
    "plot_model_comparison",
    "plot_period_transactions",
    "plot_predicted_vs_actual",
    "plot_reliability",
    "plot_tracking",
    "plot_value_intervals",
]
