"""Allow ``python -m clvmodel.cli``."""

from clvmodel.cli import main

main()
