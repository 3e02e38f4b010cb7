"""Pulumi entry point: one link per stack, configured under ``linking:link``."""

from pathlib import Path

from linking import program

program.run(Path(__file__).resolve().parent.parent)
