"""Run the command line as `python -m amhe_kg`."""

from amhe_kg.cli import main

main()
