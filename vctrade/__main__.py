"""``python -m vctrade``: the command line."""

from vctrade.cli import main

main()
