"""The static embedder: the default for index builds, queried in numpy, rebuilt by `promptkit train-embedder`."""

import json

import numpy as np
import pytest
from conftest import require_shared_data

from promptkit.core.errors import InputError, SearchIndexError
from promptkit.retrieval.index import Index, search
from promptkit.retrieval.static_embedder import STATIC_EMBEDDER, shipped_static, static_model_path, table_digest
from promptkit.training import embedder as training

PERMITTED = ("podvodka-pairs", "diffusiondb-imagereward", "diffusiondb-phrases", "lexica-modifier-counts", "clip-interrogator-terms")
PROMPTS = "a cat on a roof, oil painting, 8k\na dog in a park, watercolor\na red fox in the snow, 8k\na castle in the clouds, matte painting\n"


def write(path, text=PROMPTS):
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_model_is_small_and_carded():
    folder = static_model_path()
    meta = json.loads((folder / "training.json").read_text(encoding="utf-8"))
    assert all(source.split("/")[0] in PERMITTED for source in meta["sources"])
    assert meta["heldout_buckets_excluded"] == "0-9"
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert "promptkit train-embedder" in card and "Apache-2.0" in card
    assert all(f.stat().st_size < 5_000_000 for f in folder.iterdir())


@pytest.mark.parametrize("copies", [1, 30])  # one query (numpy) and a batch (sparse product)
def test_vectors_are_model2vecs_and_the_mean_of_word_pieces(copies):
    from model2vec import StaticModel

    reference = StaticModel.from_pretrained(static_model_path())
    texts = ["a red fox in the snow, 8k", "portrait of a knight by greg rutkowski", "a cat " * 300, "\U0001f642", "\U0001f642 cat"] * copies
    ours = shipped_static().encode(texts)
    # model2vec returns NaN for a text without known pieces (0 / 0 in float32); ours are zeros.
    np.testing.assert_allclose(ours, np.nan_to_num(reference.encode(texts, use_multiprocessing=False)), atol=1e-5)
    pieces = training.word_pieces(reference, texts[:3])
    table = reference.embedding.astype(np.float32)
    expected = np.stack([table[p].mean(axis=0) for p in pieces])
    np.testing.assert_allclose(ours[:3], expected / np.linalg.norm(expected, axis=1, keepdims=True), atol=1e-5)
    assert len(pieces[2]) == shipped_static().max_tokens and not ours[3].any()  # an unknown-only text: zeros


def test_default_build_is_static_and_ignores_fast_and_processes(tmp_path):
    source = write(tmp_path / "p.txt")
    built = Index.build(source, "pets")
    entry = built.index.manifest["embedder"]
    assert entry["name"] == STATIC_EMBEDDER and entry["kind"] == "static" and entry["dim"] == shipped_static().dim
    assert entry["digest"] == table_digest(static_model_path() / "model.safetensors")
    assert search("a fox in the snow", k=1, index="pets")[0].prompt.startswith("a red fox")
    assert Index.build(source, "pets", fast=False, processes=2).skipped  # neither changes static vectors
    again = Index.build(source, "pets", fast=False, processes=2, force=True).index
    np.testing.assert_array_equal(np.asarray(again.embeddings), np.asarray(built.index.embeddings))


def test_search_on_a_static_index_rescores_candidates_with_minilm(tmp_path, monkeypatch):
    from promptkit.core.minilm import packaged_minilm
    from promptkit.retrieval import index as index_module

    index = Index.build(write(tmp_path / "p.txt"), "pets").index
    assert index.reranks
    model = packaged_minilm()
    hits = index.search("a fox in the snow", k=4)
    expected = sorted(((float(model.encode(p) @ model.encode("a fox in the snow")), p) for p in PROMPTS.split("\n") if p), reverse=True)
    assert [h.prompt for h in hits] == [p for _, p in expected]  # RERANK >= 4: every prompt is re-scored
    np.testing.assert_allclose([h.score for h in hits], [s for s, _ in expected], atol=1e-4)
    static = index.search("a fox in the snow", k=4, rerank=False)  # the static vectors' own order and scores
    assert [h.score for h in static] == [h.score for h in index.search_vector(index.embed_query("a fox in the snow"), 4)]
    monkeypatch.setattr(index_module, "RERANK", 2)  # only the static top 2 are candidates for k=1
    assert index.search("a fox in the snow", k=1)[0].prompt in {h.prompt for h in static[:2]}


def test_cli_search_rescores_unless_told_not_to(tmp_path):
    from typer.testing import CliRunner

    from promptkit.cli.app import app

    index = Index.build(write(tmp_path / "p.txt"), "pets").index
    for flags, rerank in (([], True), (["--no-rerank"], False)):
        result = CliRunner().invoke(app, ["search", "a fox in the snow", "-k", "3", "--index", "pets", "--json", *flags])
        assert result.exit_code == 0, result.output
        scores = [json.loads(line)["score"] for line in result.stdout.splitlines()]
        assert scores == [h.score for h in index.search("a fox in the snow", k=3, rerank=rerank)]


def test_minilm_batches_match_one_text_at_a_time():
    from promptkit.core.minilm import packaged_minilm

    model = packaged_minilm()
    texts = ["a cat", "portrait of a knight by greg rutkowski, oil painting, trending on artstation", "x " * 200, "a red fox"]
    np.testing.assert_allclose(model.encode_many(texts, batch=3), np.stack([model.encode(t) for t in texts]), atol=1e-5)


def test_minilm_build_still_takes_the_name(tmp_path, minilm):
    source = write(tmp_path / "p.txt")
    index = Index.build(source, "pets", embedder="all-MiniLM-L6-v2").index
    assert index.embedder == "all-MiniLM-L6-v2" and index.embeddings.shape[1] == 384
    assert not Index.build(source, "pets").skipped and Index.load("pets").embedder == STATIC_EMBEDDER


def test_a_retrained_table_is_noticed(tmp_path):
    source = write(tmp_path / "p.txt")
    path = Index.build(source, "pets").index.path
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    manifest["embedder"]["digest"] = "0123456789ab"
    (path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(SearchIndexError, match=r"index 'pets' was built with static-minilm 0123456789ab, but this promptkit ships static-minilm \w+; rebuild") as info:
        search("a fox", k=1, index="pets")
    assert "\n" not in str(info.value)
    assert not Index.build(source, "pets").skipped  # a stale table is rebuilt, not kept


def test_a_vector_from_another_embedder_is_one_line(tmp_path):
    index = Index.build(write(tmp_path / "p.txt"), "pets").index
    with pytest.raises(SearchIndexError, match=r"384 dimensions but index 'pets' has \d+; query it with its own embedder \(static-minilm\)") as info:
        index.nearest(np.ones(384, np.float32), 2)
    assert "\n" not in str(info.value)


def test_fit_moves_the_table_toward_the_targets():
    rng = np.random.default_rng(0)
    truth = rng.standard_normal((50, 8)).astype(np.float32)
    pieces = [sorted(rng.choice(50, size=rng.integers(1, 6), replace=False).tolist()) for _ in range(600)]
    targets = np.stack([truth[p].mean(axis=0) for p in pieces])
    init = rng.standard_normal((50, 8)).astype(np.float32)

    def cosine(table):
        got = np.stack([table[p].mean(axis=0) for p in pieces])
        return float(np.mean(np.sum(got * targets, 1) / np.linalg.norm(got, axis=1) / np.linalg.norm(targets, axis=1)))

    fitted = training.fit_table(init, pieces + [[]], np.vstack([targets, np.ones((1, 8))]), training.EmbedderTraining(dims=16, epochs=30, learning_rate=0.05))
    assert cosine(init) < 0.5 < 0.95 < cosine(fitted)


def test_int8_table_keeps_directions():
    table = np.random.default_rng(1).standard_normal((100, 16)).astype(np.float32)
    quantised = training.int8_table(table).astype(np.float32)
    cos = np.sum(quantised * table, 1) / np.linalg.norm(quantised, axis=1) / np.linalg.norm(table, axis=1)
    assert training.int8_table(table).dtype == np.int8 and cos.min() > 0.99


def test_build_writes_a_loadable_model_and_guards_the_folder(tmp_path, monkeypatch):
    from promptkit.retrieval.static_embedder import StaticEmbedder

    texts = [f"{line}, style {i}" for line in PROMPTS.splitlines() for i in range(10)]  # more texts than dims: 16 axes exist
    monkeypatch.setattr(training, "training_texts", lambda root, settings: texts)
    monkeypatch.setattr(training, "teacher_vectors", lambda t, progress=None: np.random.default_rng(0).standard_normal((len(t), 384)).astype(np.float32))
    monkeypatch.setattr(training, "distilled_pieces", lambda: np.random.default_rng(1).standard_normal((30522, 384)).astype(np.float32))
    meta = training.build_static_embedder(tmp_path, tmp_path / "out", training.EmbedderTraining(dims=16, epochs=1))
    assert meta["dims"] == 16 and meta["texts"] == len(texts)
    loaded = StaticEmbedder.load(tmp_path / "out")
    assert loaded.encode(["a cat"]).shape == (1, 16) and loaded.table.dtype == np.int8
    assert len(loaded.table) < 200 and np.all(np.linalg.norm(loaded.encode(texts), axis=1) > 0.99)  # only the pieces the texts use
    training.build_static_embedder(tmp_path, tmp_path / "out", training.EmbedderTraining(dims=16, epochs=1))  # its own folder: replaced
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(InputError, match="--force"):
        training.build_static_embedder(tmp_path, tmp_path / "mine", training.EmbedderTraining(dims=16, epochs=1))


def test_missing_data_is_one_line(tmp_path):
    with pytest.raises(InputError, match="lacks podvodka-pairs/pairs.jsonl.*pass the folder") as info:
        training.training_texts(tmp_path, training.EmbedderTraining())
    assert "\n" not in str(info.value)


@pytest.mark.shared_data
def test_training_texts_leave_the_heldout_buckets_out():
    from promptkit.core.datasets import heldout_bucket

    data = require_shared_data()
    texts = training.training_texts(data, training.EmbedderTraining())
    pairs = [json.loads(line) for line in (data / "podvodka-pairs" / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    held = {" ".join(t.split()).lower() for r in pairs if heldout_bucket(r["prompt"]) < 10 for t in (r["prompt"], r["short"] or "x")}
    lowered = {t.lower() for t in texts}
    assert len(lowered) == len(texts) > 50_000 and not held & lowered and "highly detailed" in lowered
