import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from promptkit.cli.app import app

PROMPT = "oil painting of a cat sitting on a rainbow"


@pytest.fixture()
def run(tiny_model):
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(app, [str(a) for a in args], input=input)

    return invoke


def test_expand_json_lines(run, tiny_model):
    result = run("expand", PROMPT, "a red fox", "--n", 2, "--seed", 4, "--model", tiny_model, "--json")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 4
    assert [r["prompt"] for r in rows] == [PROMPT, PROMPT, "a red fox", "a red fox"]
    for r in rows:
        assert r["expanded"].startswith(r["prompt"]) and r["seed"] == 4 and r["clip_tokens"] <= 77


def test_expand_is_reproducible_from_the_cli(run, tiny_model):
    args = ("expand", PROMPT, "--n", 3, "--seed", 9, "--model", tiny_model, "--plain")
    first, second = run(*args), run(*args)
    assert first.exit_code == 0 and first.stdout == second.stdout
    assert len(first.stdout.splitlines()) == 3
    assert all(line.startswith(PROMPT) for line in first.stdout.splitlines())


def test_expand_preview_shows_prompt_modifiers_and_budget(run, tiny_model):
    result = run("expand", PROMPT, "--seed", 2, "--model", tiny_model)
    assert result.exit_code == 0, result.output
    assert PROMPT in result.stdout
    assert "/77 CLIP tokens" in result.stdout and "seed 2" in result.stdout


def test_expand_preview_highlights_added_modifiers(tiny_model):
    from io import StringIO

    from rich.console import Console

    from promptkit.expansion.result import Expansion
    from promptkit.preview import expansions_renderable

    exp = Expansion(prompt="a cat", expanded="a cat, 8k, oil painting", added=("8k", "oil painting"), seed=1, model="m", clip_tokens=8)
    buffer = StringIO()
    Console(file=buffer, force_terminal=True, color_system="truecolor", width=120).print(expansions_renderable([exp]))
    text = buffer.getvalue()
    assert "8k" in text and "oil painting" in text and "\x1b[" in text and "8/77 CLIP tokens" in text


def test_expand_reads_file_and_stdin(run, tiny_model, tmp_path):
    path = tmp_path / "prompts.txt"
    path.write_text("a red fox\n\n  a castle in the clouds  \n", encoding="utf-8")
    from_file = run("expand", "--file", path, "--seed", 1, "--model", tiny_model, "--plain")
    assert from_file.exit_code == 0, from_file.output
    lines = from_file.stdout.splitlines()
    assert lines[0].startswith("a red fox") and lines[1].startswith("a castle in the clouds")
    from_stdin = run("expand", "--seed", 1, "--model", tiny_model, "--plain", input="a red fox\na castle in the clouds\n")
    assert from_stdin.stdout == from_file.stdout


@pytest.mark.parametrize("args, message", [
    (["expand", "   "], "prompt is empty"),
    (["expand", "x" * 5000], "5,000 characters"),
    (["expand", "a cat", "--n", "0"], "n must be between 1"),
    (["expand", "a cat", "--temperature", "0"], "temperature must be greater than 0"),
    (["expand", "a cat", "--model", "./no-such-model"], "does not exist"),
    (["expand", "a cat", "--model", "Gustavosta/MagicPrompt-Stable-Diffusion"], "pass a local folder"),
])
def test_bad_input_is_one_line_and_exit_1(run, args, message):
    result = run(*args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_undecodable_file_is_one_line_error(run, tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"a cat\n\xff\xfe broken\n")
    result = run("expand", "--file", path)
    assert result.exit_code == 1
    assert "not valid UTF-8" in result.stderr and "line 2" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_broken_model_folder_via_cli(run, tmp_path):
    (tmp_path / "config.json").write_text("{not json")
    (tmp_path / "model.safetensors").write_bytes(b"junk")
    result = run("expand", "a cat", "--model", tmp_path)
    assert result.exit_code == 1 and "broken" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_import_and_help_stay_light():
    code = (
        "import sys, promptkit\n"
        "from typer.testing import CliRunner\n"
        "from promptkit.cli.app import app\n"
        "r = CliRunner().invoke(app, ['--help'])\n"
        "assert r.exit_code == 0 and 'expand' in r.stdout, r.output\n"
        "r = CliRunner().invoke(app, ['expand', '--help'])\n"
        "assert r.exit_code == 0 and '--seed' in r.stdout\n"
        "heavy = [m for m in ('torch', 'transformers', 'diffusers', 'sentence_transformers', 'datasets') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_console_script_runs_help():
    out = subprocess.run([sys.executable, "-m", "promptkit", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "expand" in out.stdout and "train" in out.stdout


def test_public_functions_are_not_shadowed_by_their_modules():
    """Importing a submodule sets it as a package attribute; no API name may be a module's name."""
    code = (
        "import promptkit, types\n"
        "import promptkit.retrieval.suggest, promptkit.rendering.renderer, promptkit.rendering.comparison, promptkit.retrieval.index\n"
        "names = ['expand', 'suggest', 'search', 'render', 'compare', 'reproduce', 'train', 'evaluate']\n"
        "print([n for n in names if isinstance(getattr(promptkit, n), types.ModuleType)])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
