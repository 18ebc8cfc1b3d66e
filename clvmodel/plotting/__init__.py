"""matplotlib figures from clvmodel's result tables.

Every function takes the result it draws and an optional ``ax``, draws on that Axes (or a new
figure's), and returns the Axes; none calls ``plt.show()`` or touches global pyplot state beyond
creating a figure when no ``ax`` is given.
"""

from clvmodel.plotting._common import new_axes

__all__ = ["new_axes"]
