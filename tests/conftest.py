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
    from promptkit.training.prompt_model import TrainConfig, train

    out = tmp_path_factory.mktemp("models") / "tiny"
    train(TrainConfig(sources=[str(corpus_file)], out=out, size="micro", epochs=6, batch_size=16, val_percent=10, seed=0))
    return out


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch, tmp_path):
    """No user settings leak in; the hub is never contacted; indexes go to a fresh data folder."""
    for key in list(os.environ):
        if key.startswith("PROMPTKIT_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("PROMPTKIT_DATA_DIR", str(tmp_path / "promptkit-data"))


@pytest.fixture(scope="session")
def minilm():
    """The real default embedder (all-MiniLM-L6-v2, packaged), loaded once per session."""
    from promptkit.retrieval.embedding import get_embedder

    return get_embedder()


@pytest.fixture(scope="session")
def tiny_embedder(tmp_path_factory) -> Path:
    """A 1-layer, 32-wide random BERT saved as a sentence-transformers folder (MiniLM's tokenizer)."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Transformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling
    from transformers import AutoTokenizer, BertConfig, BertModel

    from promptkit.retrieval.embedding import packaged_model_path

    root = tmp_path_factory.mktemp("embedders")
    tokenizer = AutoTokenizer.from_pretrained(str(packaged_model_path()))
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128)
    torch.manual_seed(0)
    BertModel(config).save_pretrained(root / "bert")
    tokenizer.save_pretrained(root / "bert")
    model = SentenceTransformer(modules=[Transformer(str(root / "bert")), Pooling(32, "mean"), Normalize()], device="cpu")
    model.save(str(root / "tiny-st"))
    return root / "tiny-st"


@pytest.fixture(scope="session")
def built_index(tmp_path_factory, minilm, corpus_file) -> Path:
    """An index over the synthetic corpus built once with MiniLM; copy it with `use_index`."""
    from promptkit.retrieval.index import Index

    data = tmp_path_factory.mktemp("index-data")
    old = os.environ.get("PROMPTKIT_DATA_DIR")
    os.environ["PROMPTKIT_DATA_DIR"] = str(data)
    try:
        Index.build([str(corpus_file)], "synthetic", embedder="all-MiniLM-L6-v2")
    finally:
        if old is None:
            os.environ.pop("PROMPTKIT_DATA_DIR", None)
        else:
            os.environ["PROMPTKIT_DATA_DIR"] = old
    return data / "indexes" / "synthetic"


@pytest.fixture()
def use_index(built_index):
    """The session's synthetic index, copied into this test's own data folder."""
    import shutil

    from promptkit.core import config

    target = config.indexes_dir() / built_index.name
    shutil.copytree(built_index, target)
    return target


def require_shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"the public prompt data folder {SHARED_DATA} is absent (it sits beside the project in CI)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def tiny_sd(tmp_path_factory) -> Path:
    """A tiny randomly initialised SD-2-shaped diffusers folder (64x64; renders noise in ~0.1 s)."""
    from promptkit.rendering.backends.tiny import save_tiny_pipeline

    return save_tiny_pipeline(tmp_path_factory.mktemp("sd") / "tiny-sd")


def pixels(image):
    """An image's pixels as a numpy array, for exact comparisons."""
    import numpy as np

    return np.asarray(image.convert("RGB"))


def pytest_terminal_summary(terminalreporter):
    """How many examples each property-based test ran (tests/test_properties.py)."""
    import sys

    module = sys.modules.get("test_properties") or sys.modules.get("tests.test_properties")
    if module is not None and module.EXAMPLES:
        counts = ", ".join(f"{name} {n}" for name, n in sorted(module.EXAMPLES.items()))
        terminalreporter.write_line(f"hypothesis examples run: {counts} ({sum(module.EXAMPLES.values())} in all)")
