"""matplotlib figures from clvmodel's result tables.

Every function takes the result it draws and an optional ``ax``, draws on that Axes, and returns
the Axes; none calls ``plt.show()``. Without ``ax`` the figure is made through pyplot
(``plt.subplots``, as pandas and seaborn do): Jupyter's inline backend displays it at the end of
the cell, and in a script ``plt.show()`` shows it (``plt.close(ax.figure)`` releases it). To keep
pyplot out, as the HTML report and the command line's figure files do, pass the Axes of a figure
made without it::

    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 4.5), layout="constrained")
    plot_tracking(report, ax=figure.add_subplot())
    figure.savefig("tracking.png")
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
