"""The clvmodel version, in a module of its own so that any module can read it without importing
the package root (keep it equal to ``version`` in pyproject.toml)."""

__version__ = "0.1.0"
