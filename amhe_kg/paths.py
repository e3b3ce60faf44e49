"""Default locations, relative to the project folder a command runs in."""

from pathlib import Path

DATA_DIR = Path("data")
ONTOLOGY_FILE = Path("ontology") / "amhe.ttl"
SHAPES_FILE = Path("shapes") / "amhe-shapes.ttl"
OUTPUT_DIR = Path("output")
