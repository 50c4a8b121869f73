"""The relevance model: lift among the nearest subjects, the shipped artifact, and its query embedder."""

import json

import numpy as np
import pytest

from promptkit.core.errors import ModelLoadError
from promptkit.core.minilm import packaged_minilm
from promptkit.modifiers.coherence import MEDIA
from promptkit.modifiers.relevance import RelevanceModel, get_relevance, load_relevance


def toy_model() -> RelevanceModel:
    """Four corpus prompts on two axes: sea subjects use "seascape", forest subjects "moss"; all use "8k"."""
    subjects = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]], dtype=np.float32)
    subjects /= np.linalg.norm(subjects, axis=1, keepdims=True)
    modifiers = ["seascape", "moss", "8k"]
    rows = [[0, 2], [0, 2], [1, 2], [1, 2]]
    indptr = np.cumsum([0] + [len(r) for r in rows])
    model = RelevanceModel(modifiers=modifiers, categories=["style", "style", "quality"], counts=np.array([2.0, 2.0, 4.0]),
                           subjects=subjects, indptr=indptr, indices=np.array(sum(rows, [])), media=np.zeros((3, len(MEDIA))),
                           media_totals=np.zeros(len(MEDIA)), k=2)
    return model


def test_lift_rewards_what_similar_subjects_use_not_what_everyone_uses():
    model = toy_model()
    sea = np.array([1.0, 0.05], dtype=np.float32)
    lift = dict(zip(model.modifiers, model.lift(sea)))
    assert lift["seascape"] > 1.3 > lift["8k"] and lift["moss"] < 1
    assert [m for m, _ in model.top(sea, n=3)][0] == "seascape"
    forest = np.array([0.05, 1.0], dtype=np.float32)
    assert [m for m, _ in model.top(forest, n=3)][0] == "moss"


def test_shipped_relevance_model_is_specific_to_the_subject():
    model = get_relevance()
    assert len(model.modifiers) > 1000 and model.subjects.shape[1] == 384
    photo = [m for m, _ in sorted(model.prompt_scores("a photo of an old fisherman").items(), key=lambda kv: -kv[1])[:40]]
    anime = [m for m, _ in sorted(model.prompt_scores("anime girl with a sword").items(), key=lambda kv: -kv[1])[:40]]
    assert len(set(photo) & set(anime)) < 20
    assert any(w in " ".join(photo) for w in ("photo", "mm", "film", "lens", "portrait"))
    assert len(model.generic_set) == 10


def test_broken_relevance_folders_are_one_line_errors(tmp_path):
    with pytest.raises(ModelLoadError, match="is missing") as info:
        load_relevance(tmp_path)
    assert "\n" not in str(info.value)
    shipped = get_relevance()
    for name in ("subjects.npy", "subject_scale.npy", "indptr.npy", "indices.npy", "media.npy"):
        np.save(tmp_path / name, np.zeros(3))
    (tmp_path / "modifiers.jsonl").write_text('{"modifier": "8k", "category": "quality", "count": 1}\n')
    (tmp_path / "meta.json").write_text(json.dumps({"format": 1, "media_prompts": [0] * len(MEDIA)}))
    with pytest.raises(ModelLoadError, match="broken"):
        load_relevance(tmp_path)
    assert shipped.modifiers  # the shipped one is untouched


def test_numpy_minilm_matches_sentence_transformers():
    from promptkit.retrieval.embedding import EmbedSettings, get_embedder

    texts = ["oil painting of a cat sitting on a rainbow", "Portrait of an OLD fisherman, 35mm", "pixel art"]
    reference = get_embedder(None, EmbedSettings(fast=False, max_tokens=77)).encode(texts)
    ours = np.stack([packaged_minilm().encode(t) for t in texts])
    assert np.allclose((ours * reference).sum(axis=1), 1.0, atol=1e-4)
