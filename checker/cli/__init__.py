"""The command line: a thin shell over the library (see checker/__init__.py)."""
from checker.cli.main import main

__all__ = ["main"]
