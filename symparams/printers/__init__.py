"""Printers: each renders an analysed result in one format and shares nothing but the analysis.

FORMATS is every output format of every command, by name: command -> format -> the printer
function that renders it ("module:function" in this package, imported only when asked for, so
the command line lists its choices without loading a printer). A command takes its --format
choices from formats(command) and renders with render(command, format, result, **options); a
printer function takes the command's result and the options it needs (and ignores the others).
A new format is one function in a printer module and one line here (tests/test_formats.py runs
every command in every format it lists).
"""

from __future__ import annotations

import importlib

FORMATS: dict[str, dict[str, str]] = {
    "summary": {"text": "text:summary", "markdown": "markdown:summary", "json": "jsonout:summary",
                "csv": "csv:summary"},
    "solve": {"text": "solve:text", "json": "solve:json_text"},
    "sweep": {"text": "sweep:text", "markdown": "sweep:markdown", "csv": "sweep:csv", "json": "sweep:json"},
    "memory": {"text": "memory:text", "json": "memory:json_text"},
    "plan": {"text": "plan:text", "json": "plan:json_text"},
    "diagram": {"tikz": "diagram:tikz_output", "svg": "diagram:svg_output"},
}


def formats(command: str) -> tuple[str, ...]:
    """The --format choices of a command, its default first."""
    return tuple(FORMATS[command])


def renderer(command: str, fmt: str):
    """The printer function of one command's format."""
    module, _, function = FORMATS[command][fmt].partition(":")
    return getattr(importlib.import_module(f"{__name__}.{module}"), function)


def render(command: str, fmt: str, result, **options) -> str:
    return renderer(command, fmt)(result, **options)
