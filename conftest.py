"""Collection settings for the doctest run over the package (``--doctest-modules``)."""

import importlib.util

# clvmodel.spark needs the optional pyspark; without it, its modules are not collected (the
# development extra installs it, so the README's test command always collects them).
collect_ignore_glob = [] if importlib.util.find_spec("pyspark") else ["clvmodel/spark/*"]
