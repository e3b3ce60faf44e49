"""The `amhe-kg` command line."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import click

from amhe_kg import __version__
from amhe_kg.build import make, write
from amhe_kg.errors import SourceError
from amhe_kg.options import data_option, ontology_option, out_option
from amhe_kg.paths import SHAPES_FILE
from amhe_kg.stats import per_class, per_part

EXIT_CODES = """
Exit codes: 0 success; 2 the input could not be read or is invalid, or the
graph violates the SHACL shapes (the message names the file, line, record and
field; nothing is written).
"""

shapes_option = click.option(
    "--shapes",
    "shapes_file",
    type=click.Path(path_type=Path),
    default=SHAPES_FILE,
    show_default=True,
    help="SHACL shapes the graph must conform to.",
)


# command name -> the module whose `command` it is, imported only when the command runs
COMMANDS = {
    "charts": "amhe_kg.charts",
    "docs": "amhe_kg.docs",
    "links": "amhe_kg.links",
    "publish": "amhe_kg.publish",
    "query": "amhe_kg.query",
    "reason": "amhe_kg.reason",
    "serve": "amhe_kg.serve",
    "site": "amhe_kg.site",
    "validate": "amhe_kg.validate",
}


class Commands(click.Group):
    """The command group: `build` and `stats` here, the others from their modules."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *COMMANDS])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS:
            return importlib.import_module(COMMANDS[name]).command
        return super().get_command(ctx, name)


def fail(error: Exception) -> None:
    """Report an input error on stderr and exit with code 2."""
    click.echo(f"error: {error}", err=True)
    sys.exit(2)


@click.group(
    cls=Commands, context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_CODES
)
@click.version_option(__version__, prog_name="amhe-kg")
def main() -> None:
    """Build and publish the Advancing Mental Health Equality knowledge graph."""


@main.command(epilog=EXIT_CODES)
@data_option()
@ontology_option()
@shapes_option
@out_option("Output folder (replaced as a whole when the build succeeds).")
@click.option("-q", "--quiet", is_flag=True, help="Print only disagreements and errors.")
def build(
    data_dir: Path, ontology_file: Path, shapes_file: Path, out_dir: Path, quiet: bool
) -> None:
    """Build and validate the graph, and write it in Turtle, JSON-LD and N-Triples."""
    try:
        result = make(data_dir, ontology_file, shapes_file)
        write(result, out_dir)
    except SourceError as error:
        fail(error)
    disagreements = [check for check in result.checks if not check.agrees]
    for check in disagreements:
        click.echo(f"warning: {check.describe()}", err=True)
    for line in result.validation.warning_lines():
        click.echo(f"warning: {line}", err=True)
    if not quiet:
        click.echo(f"Built {len(result.graph)} triples into {out_dir}/")
        _print_counts("Resources per class", per_class(result.graph))
        click.echo(
            f"\nTotals: {len(result.checks)} checked, {len(disagreements)} disagree "
            f"with the source's stated figures (see {out_dir}/totals.csv)"
        )
        click.echo(
            f"Validation: {result.validation.summary()} against {shapes_file} "
            f"(see {out_dir}/validation.ttl)"
        )
        for name in sorted(result.files):
            click.echo(f"  {out_dir}/{name}")


@main.command(epilog=EXIT_CODES)
@data_option()
@ontology_option()
@shapes_option
def stats(data_dir: Path, ontology_file: Path, shapes_file: Path) -> None:
    """Print the graph's counts per class and per source table."""
    try:
        result = make(data_dir, ontology_file, shapes_file)
    except SourceError as error:
        fail(error)
    _print_counts("Resources per class", per_class(result.graph))
    _print_counts("Resources per source part", per_part(result.graph))


def _print_counts(title: str, rows: list[tuple[str, int]]) -> None:
    click.echo(f"\n{title}:")
    width = max((len(name) for name, _ in rows), default=0)
    for name, count in rows:
        click.echo(f"  {name:<{width}}  {count:>5}")
