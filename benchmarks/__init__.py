"""Benchmarks of the build, validation and queries (see benchmarks/README.md)."""
