"""amhe-kg: the Advancing Mental Health Equality knowledge graph."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("amhe-kg")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
