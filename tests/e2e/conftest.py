"""Fixtures the end-to-end CLI tests share."""

from tests.e2e.test_cli_get import cli_env

__all__ = ["cli_env"]
