"""CLI: index build/list/info/remove, search, suggest, eval-suggest; bad input is one line."""

import json

import pytest
from typer.testing import CliRunner

from promptkit.cli.app import app


def run(*args, input=None):
    return CliRunner().invoke(app, [str(a) for a in args], input=input)


def one_line_error(result, message):
    assert result.exit_code == 1, result.output
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_index_build_list_info_remove(tmp_path, minilm):
    source = tmp_path / "prompts.csv"
    source.write_text('prompt\n"a cat on a roof, oil painting, 8k"\n"a dog in a park, watercolor"\n"a cat on a roof, oil painting, 8k"\n', encoding="utf-8")
    built = run("index", "build", source, "--name", "pets")
    assert built.exit_code == 0, built.output
    assert "Built index pets: 2 prompts" in built.stdout and "1 duplicates" in built.stdout
    assert "embed" in built.stderr  # the progress bar
    again = run("index", "build", source, "--name", "pets", "--json")
    assert json.loads(again.stdout)["skipped"] is True
    listed = run("index", "list", "--json")
    assert [json.loads(line)["name"] for line in listed.stdout.splitlines()] == ["pets"]
    info = run("index", "info", "pets", "--json")
    assert json.loads(info.stdout)["prompts"] == 2
    assert run("index", "remove", "pets").exit_code == 0
    assert "No index built yet" in run("index", "list").stdout


def test_search_and_suggest_json_lines(use_index):
    result = run("search", "a fox in the snow", "-k", "3", "--json")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 3 and {"prompt", "score"} <= set(rows[0]) and "fox" in rows[0]["prompt"]
    table = run("search", "a fox in the snow", "-k", "2")
    assert table.exit_code == 0 and "fox" in table.stdout and "score" in table.stdout
    result = run("suggest", "a fox in the snow", "-k", "5", "--json", "--index", "synthetic")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 5 and {"modifier", "category", "score", "count"} <= set(rows[0])
    table = run("suggest", "a fox in the snow", "-k", "6")
    assert table.exit_code == 0 and "category" in table.stdout


def test_suggest_on_a_fresh_install_uses_the_relevance_model():
    result = run("suggest", "portrait of a knight", "--json", "-k", "4")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 4 and all(row["source"] == "relevance" for row in rows)


def test_expand_with_suggest_flag(tiny_model, minilm):
    result = run("expand", "a red fox", "--suggest", "--seed", "2", "--model", tiny_model, "--json", "--n", "2")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 2 and all(r["expanded"].startswith("a red fox, ") and r["clip_tokens"] <= 77 for r in rows)
    assert rows[0]["added"][:3] == rows[1]["added"][:3]  # both steered by the same top suggestions


def test_eval_suggest_reports_baseline(tmp_path, use_index):
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("\n".join(json.dumps({"short": s, "prompt": f"{s}, highly detailed, watercolor, 8k"})
                               for s in ("a red fox", "a ship in a storm", "a castle")) + "\n", encoding="utf-8")
    result = run("eval-suggest", pairs, "--heldout-percent", "100", "--json", "-k", "5")
    assert result.exit_code == 0, result.output
    rows = {json.loads(line)["method"]: json.loads(line) for line in result.stdout.splitlines()}
    assert "baseline: popular in synthetic" in rows and "suggest: index synthetic + lexicon" in rows
    assert all(0 <= r["precision"] <= 1 and r["cases"] == 3 for r in rows.values())


@pytest.mark.parametrize("args, message", [
    (["index", "build", "./missing.jsonl"], "does not exist"),
    (["index", "build", "data.xml"], "unknown dataset format"),
    (["index", "info", "nope"], "no index named 'nope'"),
    (["index", "remove", "nope"], "no index named 'nope'"),
    (["index", "build", "x.txt", "--name", "../bad"], "is not allowed"),
    (["search", "a cat"], "no index built yet"),
    (["search", "a cat", "--index", "nope"], "no index named 'nope'"),
    (["search", "  "], "query is empty"),
    (["suggest", "a cat", "-k", "0"], "k must be between"),
])
def test_bad_input_is_one_line(tmp_path, args, message):
    (tmp_path / "data.xml").write_text("<a/>")
    import os

    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = run(*args)
    finally:
        os.chdir(cwd)
    one_line_error(result, message)


def test_bad_dataset_rows_via_cli(tmp_path, minilm):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    one_line_error(run("index", "build", empty), "is empty")
    nocol = tmp_path / "c.csv"
    nocol.write_text("foo,bar\n1,2\n")
    one_line_error(run("index", "build", nocol), "no prompt column")
    mixed = tmp_path / "m.txt"
    mixed.write_bytes(b"a cat, 8k\n\xff\xfe\na dog, watercolor\n")
    result = run("index", "build", mixed, "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["stats"]["malformed"] == 1


def test_corrupted_index_via_cli(use_index):
    (use_index / "embeddings.npy").write_bytes(b"\x93NUMPY broken")
    one_line_error(run("search", "a fox", "--index", "synthetic"), "corrupted")
    listed = run("index", "list")
    assert listed.exit_code == 0 and "broken" in listed.stdout


def test_help_for_new_commands_stays_light():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from promptkit.cli.app import app\n"
        "for args in (['index', '--help'], ['index', 'build', '--help'], ['search', '--help'], ['suggest', '--help']):\n"
        "    r = CliRunner().invoke(app, args)\n"
        "    assert r.exit_code == 0, r.output\n"
        "print([m for m in ('torch', 'sentence_transformers', 'numpy') if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
