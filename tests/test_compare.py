import json
from pathlib import Path

import numpy as np
import pytest
from conftest import pixels
from typer.testing import CliRunner

import promptkit
from promptkit.cli.app import app
from promptkit.rendering.grid import grid_layout
from promptkit.rendering.settings import RenderSettings

PROMPT = "oil painting of a cat sitting on a rainbow"


@pytest.fixture(scope="module")
def comparison(tiny_model, tiny_sd):
    return promptkit.compare(PROMPT, n=2, seeds=[1, 2], expand_model=str(tiny_model), model=str(tiny_sd), settings=RenderSettings(steps=2))


def test_columns_are_the_short_prompt_then_expansions_rows_are_seeds(comparison, tiny_model):
    assert comparison.prompts[0] == PROMPT and len(comparison.prompts) == 3
    assert all(e.expanded.startswith(PROMPT) and e.added for e in comparison.expansions)
    assert [e.seed for e in comparison.expansions] == [1, 1]  # the first seed also seeds the expansion
    assert [(i.prompt, i.seed) for i in comparison.images] == [(p, s) for s in (1, 2) for p in comparison.prompts]
    short, expanded = comparison.image(0, 0).metadata, comparison.image(0, 1).metadata
    assert short.original_prompt is None and short.added == ()
    assert expanded.original_prompt == PROMPT and expanded.added == comparison.expansions[0].added
    assert expanded.expansion_model == str(tiny_model)
    assert len(short.batch) == 6  # every image in one pipeline call
    # The same seed gives the same starting noise, so images in a row share it while the prompt differs.
    assert not np.array_equal(pixels(comparison.image(0, 0).image), pixels(comparison.image(1, 0).image))


def test_grid_has_a_column_per_prompt_and_a_row_per_seed(comparison):
    layout = grid_layout(comparison.captions(), 2, (64, 64), ["seed 1", "seed 2"])
    assert comparison.grid.size == layout.size
    x, y = layout.cell_origin(1, 2)
    enlarged = comparison.image(1, 2).image.resize((256, 256), 0)
    assert comparison.grid.getpixel((x + 100, y + 100)) == enlarged.getpixel((100, 100))
    assert comparison.captions()[1].added == comparison.expansions[0].added


def test_compare_is_reproducible(comparison, tiny_model, tiny_sd):
    again = promptkit.compare(PROMPT, n=2, seeds=[1, 2], expand_model=str(tiny_model), model=str(tiny_sd), settings=RenderSettings(steps=2))
    assert again.prompts == comparison.prompts
    for a, b in zip(again.images, comparison.images):
        assert np.array_equal(pixels(a.image), pixels(b.image))


def test_save_writes_grid_images_and_summary(comparison, tmp_path):
    saved = comparison.save(tmp_path / "cmp")
    assert saved.grid.name == "grid.png" and saved.summary.name == "summary.json"
    assert [p.name for p in saved.images] == [f"{k}-seed{s}.png" for s in (1, 2) for k in ("short", "expansion1", "expansion2")]
    assert sorted(p.name for p in (tmp_path / "cmp").iterdir()) == sorted(p.name for p in saved.files)
    summary = json.loads(saved.summary.read_text(encoding="utf-8"))
    assert summary["prompt"] == PROMPT and summary["seeds"] == [1, 2] and summary["random_weights"] is True
    assert [i["file"] for i in summary["images"]] == [p.name for p in saved.images]
    assert summary["expansions"][1]["expanded"] == comparison.prompts[2]
    again = promptkit.reproduce(saved.images[4])  # an expansion rendered inside a batch of six
    assert again.identical


def test_compare_cli_json_and_preview(tiny_model, tiny_sd, tmp_path):
    runner = CliRunner()
    args = ["compare", PROMPT, "--n", "1", "--seed", "5", "--expand-model", str(tiny_model), "--model", str(tiny_sd),
            "--steps", "2", "--out", str(tmp_path / "c")]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["seeds"] == [5] and data["expansions"][0]["seed"] == 5
    assert all(Path(f).is_file() for f in data["files"]) and len(data["images"]) == 2
    shown = runner.invoke(app, args, env={"FORCE_COLOR": "1", "COLORTERM": "truecolor", "TERM": "xterm-256color"})
    assert shown.exit_code == 0, shown.output
    assert "expansion 1" in shown.stdout and "▀" in shown.stdout and "\x1b[38;2;" in shown.stdout
    quiet = runner.invoke(app, [*args, "--no-preview"], env={"FORCE_COLOR": "1", "COLORTERM": "truecolor"})
    assert quiet.exit_code == 0 and "▀" not in quiet.stdout and "grid.png" in quiet.stdout


def test_compare_preview_fits_a_40_row_terminal_with_the_prompts_table_visible(tiny_model, tiny_sd, tmp_path):
    args = ["compare", PROMPT, "--n", "3", "--seeds", "1,2", "--expand-model", str(tiny_model), "--model", str(tiny_sd),
            "--steps", "2", "--out", str(tmp_path / "c")]
    shown = CliRunner().invoke(app, args, env={"FORCE_COLOR": "1", "COLORTERM": "truecolor", "COLUMNS": "120", "LINES": "40"})
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert len(lines) <= 39  # the whole screen fits above the shell prompt: nothing scrolls away
    image_rows = [i for i, line in enumerate(lines) if "▀" in line]
    table_rows = [i for i, line in enumerate(lines) if "expansion 3" in line or "short" in line]
    assert image_rows and table_rows and max(image_rows) < min(table_rows)  # the grid above, the table below it
    assert any("modifiers:" in line for line in lines[max(image_rows):])  # the colour legend under the table
    assert "grid.png" in " ".join(lines[-2:])  # the last note (a long path may wrap)


def test_compare_cli_default_folder_name_is_safe(tiny_model, tiny_sd, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["compare", "a cat / on ../a rainbow", "--n", "1", "--seed", "3", "--expand-model", str(tiny_model),
                                      "--model", str(tiny_sd), "--steps", "2", "--json"])
    assert result.exit_code == 0, result.output
    assert Path(json.loads(result.stdout)["folder"]) == Path("out/compare-a-cat-on-a-rainbow-seed3")


@pytest.mark.parametrize("args, message", [
    (["--seeds", "1,x"], "--seeds must be whole numbers"),
    (["--n", "0"], "n must be between 1"),
    (["--width", "100"], "width must be a multiple of 8"),
    (["--steps", "-2"], "steps must be an integer between 1"),
    (["--scheduler", "nope"], "unknown scheduler 'nope'"),
])
def test_compare_bad_input_is_one_line_and_exit_1(tmp_path, args, message):
    result = CliRunner().invoke(app, ["compare", PROMPT, "--out", str(tmp_path), *args])
    assert result.exit_code == 1, result.output
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
