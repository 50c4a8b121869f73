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
    from promptkit.preview import expansions_renderable, modifier_style

    exp = Expansion(prompt="a cat", expanded="a cat, 8k, oil painting", added=("8k", "oil painting"), seed=1, model="m", clip_tokens=8)
    console = Console(file=StringIO(), force_terminal=True, color_system="truecolor", width=120)
    with console.capture() as capture:
        console.print(expansions_renderable([exp]))
    text = capture.get()
    assert "8/77 CLIP tokens" in text
    styled = []
    for modifier in exp.added:  # each added modifier wrapped in its category's escape codes
        with console.capture() as capture_one:
            console.print(modifier, style=modifier_style(modifier), end="")
        styled.append(capture_one.get())
        assert styled[-1] != modifier and "\x1b[" in styled[-1]
    assert styled[0] != styled[1]
    assert f"a cat, {styled[0]}, {styled[1]}" in text  # the prompt itself stays plain


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
    (["expand", "a cat", "--temperature", "0"], "greater than 0"),
    (["expand", "a cat", "--model", "./no-such-model"], "does not exist"),
    (["expand", "a cat", "--model", "Gustavosta/MagicPrompt-Stable-Diffusion"], "pass a local folder"),
    (["expand", "a cat", "--length", "huge"], "choose one of: short, medium, long"),
    (["expand", "a cat", "--length", "500"], "between 10 and 77"),
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


def _commands(group, path=()):
    """Every command path of the click app, e.g. ("index", "build")."""
    import click

    for name, command in group.commands.items():
        yield (*path, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))


def test_help_shows_no_python_types_and_every_option_has_a_help_line():
    import re

    import typer.main

    root = typer.main.get_command(app)
    runner = CliRunner()
    for path in [(), *_commands(root)]:
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "250"}, terminal_width=250)
        assert result.exit_code == 0, (path, result.output)
        types = re.findall(r"<(?:bool|int|float|str|path|Path|list\[[^\]]*\])>", result.output)
        assert types == [], (path, types)
        for line in result.output.splitlines():
            if re.match(r"^│ (--[\w-]+|-\w)", line):  # an option's first line: a help text follows its name
                assert len(line.strip("│ ").split()) > 1, (path, line)
    assert "--modifiers " not in runner.invoke(app, ["expand", "--help"], terminal_width=250).output  # the hidden old name


def test_every_value_option_shows_its_default():
    import click
    import typer.main

    root = typer.main.get_command(app)
    missing = []
    for path in _commands(root):
        command = root
        for name in path:
            command = command.commands[name]
        for param in getattr(command, "params", []):
            if isinstance(param, click.Option) and not param.is_flag and not param.hidden and not param.required:
                if param.default is None and not isinstance(param.show_default, str):
                    missing.append(f"{' '.join(path)} {param.opts[0]}")
    assert missing == []


def test_user_commands_are_listed_before_the_build_panel():
    output = CliRunner().invoke(app, ["--help"], terminal_width=200).output
    build_panel = output.index("Build and evaluate")
    for name in ("expand", "suggest", "search", "compare", "render", "reproduce", "info", "index"):
        assert output.index(f"│ {name} ") < build_panel, name
    for name in ("train", "train-ranker", "eval", "eval-suggest"):
        assert output.index(f"│ {name} ") > build_panel, name
    index_help = CliRunner().invoke(app, ["index", "--help"], terminal_width=200).output
    assert index_help.index("│ build ") < index_help.index("Build and evaluate") < index_help.index("│ lexicon ")


def test_short_options_mean_the_same_everywhere():
    import typer.main

    root = typer.main.get_command(app)
    meaning = {}
    for path in _commands(root):
        command = root
        for name in path:
            command = command.commands[name]
        for param in getattr(command, "params", []):
            for short in ("-n", "-k"):
                if short in getattr(param, "opts", ()):
                    meaning.setdefault(short, set()).add(param.opts[0])
    assert meaning == {"-n": {"--n"}, "-k": {"-k"}}
    build = root.commands["index"].commands["build"]
    assert [p.opts for p in build.params if p.name == "name"] == [["--name"]]


def test_min_modifiers_and_its_hidden_old_name_agree(run, tiny_model):
    new = run("expand", PROMPT, "--seed", 3, "--model", tiny_model, "--json", "--min-modifiers", 0)
    old = run("expand", PROMPT, "--seed", 3, "--model", tiny_model, "--json", "--modifiers", 0)
    assert new.exit_code == 0 and old.exit_code == 0, new.output + old.output
    assert new.stdout == old.stdout


def test_raw_is_the_models_own_output_and_length_sets_how_long(run, tiny_model):
    raw = run("expand", PROMPT, "--seed", 3, "--model", tiny_model, "--json", "--raw")
    zero = run("expand", PROMPT, "--seed", 3, "--model", tiny_model, "--json", "--min-modifiers", 0)
    assert raw.exit_code == 0 and raw.stdout == zero.stdout, raw.output
    short = run("expand", PROMPT, "--seed", 3, "--n", 3, "--model", tiny_model, "--json", "--length", "short")
    long = run("expand", PROMPT, "--seed", 3, "--n", 3, "--model", tiny_model, "--json", "--length", "long")
    tokens = [[json.loads(line)["clip_tokens"] for line in r.stdout.splitlines()] for r in (short, long)]
    assert max(tokens[1]) <= 77 and sum(tokens[0]) < sum(tokens[1])
