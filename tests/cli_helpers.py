"""Helpers for the command-line tests."""

import json

import pytest

from optviz import cli


def strict_json(text: str) -> dict:
    """Parse, refusing NaN and Infinity (which are not JSON)."""
    def refuse(name: str):
        raise ValueError(f"not JSON: {name}")
    return json.loads(text, parse_constant=refuse)


def run_json(capsys: pytest.CaptureFixture, *args: str) -> dict:
    """Run the CLI in-process; it must print one JSON object on one line, nothing else."""
    assert cli.main([*args]) == 0
    out, err = capsys.readouterr()
    assert err == "" and out.count("\n") == 1
    return strict_json(out)
