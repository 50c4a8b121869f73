"""The shipped expander and suggester give exactly the recorded outputs (tests/golden/).

Recorded with the CLI before the capability-package move; a deliberate change of behaviour
re-records them (see tests/golden/README.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from promptkit.cli.app import app

GOLDEN = Path(__file__).parent / "golden"

EXPAND_CASES = {
    "expand_n3_seed7.jsonl": ["oil painting of a cat sitting on a rainbow", "a watercolor of a lighthouse", "logo of a coffee shop", "--n", "3", "--seed", "7"],
    "expand_n1_seed42.jsonl": ["pixel art of a knight", "portrait of an old fisherman", "--n", "1", "--seed", "42"],
    "expand_n4_seed1.jsonl": ["a cyberpunk city at night", "--n", "4", "--seed", "1"],
    "expand_raw_seed3.jsonl": ["a castle on a hill", "--n", "2", "--seed", "3", "--modifiers", "0"],
}
SUGGEST_CASES = {
    "suggest_castle.json": ["a castle on a hill"],
    "suggest_samurai.json": ["portrait of a samurai"],
    "suggest_forest.json": ["watercolor of a forest", "-k", "5"],
}


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("name", sorted(EXPAND_CASES))
def test_expand_matches_golden(name):
    result = CliRunner().invoke(app, ["expand", *EXPAND_CASES[name], "--json"])
    assert result.exit_code == 0, result.output
    assert lines(result.stdout) == lines((GOLDEN / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(SUGGEST_CASES))
def test_suggest_matches_golden(name):
    result = CliRunner().invoke(app, ["suggest", *SUGGEST_CASES[name], "--json"])
    assert result.exit_code == 0, result.output
    assert lines(result.stdout) == lines((GOLDEN / name).read_text(encoding="utf-8"))
