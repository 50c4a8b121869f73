"""Shared fixtures: a tiny prompt model trained in code, isolated user state, the shared data folder."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"

SUBJECTS = [
    "a cat sitting on a rainbow", "portrait of a knight", "a lighthouse on a cliff", "a red fox in the snow",
    "a castle in the clouds", "an old man reading a book", "a robot in a garden", "a ship in a storm",
    "a forest at dawn", "a city street at night", "a dragon over the mountains", "a bowl of fruit",
]
MODIFIERS = [
    "highly detailed", "oil painting", "by greg rutkowski", "trending on artstation", "8k", "cinematic lighting",
    "digital art", "sharp focus", "concept art", "volumetric light", "unreal engine", "watercolor", "by alphonse mucha",
    "golden hour", "octane render", "matte painting", "studio ghibli", "intricate", "dramatic sky", "soft colors",
]


def synthetic_prompts(count: int = 400, seed: int = 0) -> list[str]:
    """Keyword-soup prompts like real SD prompts: a subject, then 3-7 modifiers."""
    rng = random.Random(seed)
    return [", ".join([rng.choice(SUBJECTS), *rng.sample(MODIFIERS, rng.randint(3, 7))]) for _ in range(count)]


@pytest.fixture(scope="session")
def corpus_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "prompts.txt"
    path.write_text("\n".join(synthetic_prompts()) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory, corpus_file) -> Path:
    """A 2-layer, 64-wide GPT-2 trained for a few hundred steps on the synthetic corpus."""
    from promptkit.training import TrainConfig, train

    out = tmp_path_factory.mktemp("models") / "tiny"
    train(TrainConfig(sources=[str(corpus_file)], out=out, size="micro", epochs=6, batch_size=16, val_percent=10, seed=0))
    return out


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch, tmp_path):
    """No user settings leak in; the hub is never contacted."""
    for key in list(os.environ):
        if key.startswith("PROMPTKIT_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))


def require_shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"the public prompt data folder {SHARED_DATA} is absent (it sits beside the project in CI)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def tiny_sd(tmp_path_factory) -> Path:
    """A tiny randomly initialised SD-2-shaped diffusers folder (64x64; renders noise in ~0.1 s)."""
    from promptkit.backends.tiny import save_tiny_pipeline

    return save_tiny_pipeline(tmp_path_factory.mktemp("sd") / "tiny-sd")


def pixels(image):
    """An image's pixels as a numpy array, for exact comparisons."""
    import numpy as np

    return np.asarray(image.convert("RGB"))
