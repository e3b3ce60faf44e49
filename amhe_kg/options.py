"""Command-line options that several commands share, defined once."""

from __future__ import annotations

from pathlib import Path

import click

from amhe_kg.paths import DATA_DIR, ONTOLOGY_FILE, OUTPUT_DIR


def data_option(help: str = "Folder of curated source files."):
    """--data: the folder of curated sources."""
    return click.option(
        "--data",
        "data_dir",
        type=click.Path(path_type=Path),
        default=DATA_DIR,
        show_default=True,
        help=help,
    )


def ontology_option(help: str = "The ontology in Turtle."):
    """--ontology: the ontology file."""
    return click.option(
        "--ontology",
        "ontology_file",
        type=click.Path(path_type=Path),
        default=ONTOLOGY_FILE,
        show_default=True,
        help=help,
    )


def out_option(help: str = "The build's output folder."):
    """--out: the output folder."""
    return click.option(
        "--out",
        "out_dir",
        type=click.Path(path_type=Path, file_okay=False),
        default=OUTPUT_DIR,
        show_default=True,
        help=help,
    )
