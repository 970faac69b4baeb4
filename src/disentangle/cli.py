"""The command line: a thin shell over the Workspace (JSON on stdout, messages on stderr)."""

from __future__ import annotations

import click


@click.group()
def main() -> None:
    """Disentangle: local law enforcement's agreements with ICE, from public records."""
