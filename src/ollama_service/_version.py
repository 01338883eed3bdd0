"""The package version, read by hatch at build time and by the User-Agent at run time."""

__version__ = "0.1.0"
