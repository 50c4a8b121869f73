"""The prompt index: build, clean, save atomically, load, exact search, bad input."""

import json
import re

import numpy as np
import pytest

from promptkit.core import config
from promptkit.core.datasets import PromptRecord, clean_prompts, read_prompts_lenient
from promptkit.core.errors import DatasetError, InputError, ModelLoadError, SearchIndexError
from promptkit.modifiers.stats import prompt_modifiers
from promptkit.retrieval.index import Index, get_index, search
from promptkit.retrieval.store import list_indexes, most_recent_index, remove_index


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_search_finds_related_prompts_best_first(use_index):
    hits = search("a fox in a snowy landscape", k=5)
    assert len(hits) == 5
    assert "fox" in hits[0].prompt
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True) and all(-1 <= s <= 1 for s in scores)
    assert [h.rank for h in hits] == [1, 2, 3, 4, 5] and hits[0].index_name == "synthetic"
    assert set(hits[0].modifiers) == set(prompt_modifiers(hits[0].prompt))


def test_search_is_exact_against_float32_brute_force(use_index, minilm):
    index = Index.load("synthetic")
    vectors = np.asarray(index.embeddings, dtype=np.float32)
    for query in ("a dragon over the mountains", "watercolor of a bowl of fruit", "robot"):
        q = index.embed_query(query)
        ids, scores = index.nearest(q, 10)
        exact = vectors @ q
        # float16 scores may swap exact ties; everything returned is within rounding of the true top 10.
        assert exact[ids].min() >= np.sort(exact)[-10] - 2e-3
        np.testing.assert_allclose(scores, exact[ids], atol=2e-3)


def test_manifest_files_and_store(use_index):
    index = Index.load()  # the most recent one
    m = index.manifest
    assert index.name == "synthetic" and m["embedder"]["name"] == "all-MiniLM-L6-v2" and m["embedder"]["dim"] == 384
    assert m["prompts"] == index.size > 100 and m["dtype"] == "float16" and len(m["content_hash"]) == 64
    assert m["cleaning"]["rows"] == 400 and m["cleaning"]["kept"] == index.size
    assert m["promptkit_version"] and m["sources"][0].endswith("prompts.txt")
    assert index.embeddings.dtype == np.float16 and isinstance(index.embeddings, np.memmap)
    assert [i.name for i in list_indexes()] == ["synthetic"] and most_recent_index() == "synthetic"
    remove_index("synthetic")
    assert list_indexes() == [] and most_recent_index() is None
    with pytest.raises(SearchIndexError, match="no index built yet"):
        search("a cat")


def test_unchanged_rebuild_is_skipped_and_changes_rebuild(tmp_path, minilm):
    source = write(tmp_path / "p.txt", "a cat on a roof, oil painting, 8k\na dog in a park, watercolor\n")
    first = Index.build(source, "pets")
    assert not first.skipped and first.index.size == 2
    again = Index.build(source, "pets")
    assert again.skipped and again.index.manifest["created"] == first.index.manifest["created"]
    write(source, "a cat on a roof, oil painting, 8k\na dog in a park, watercolor\na fish, ink drawing\n")
    changed = Index.build(source, "pets")
    assert not changed.skipped and changed.index.size == 3


def test_cleaning_counts_and_nsfw(tmp_path, minilm):
    source = tmp_path / "p.jsonl"
    rows = [{"prompt": "A cat,  8 k"}, {"prompt": "a cat, 8 k"}, {"prompt": "   "}, {"prompt": "nude portrait, oil"},
            {"prompt": 12}, {"other": "x"}, {"prompt": "a castle in the clouds, matte painting"}]
    source.write_bytes(("\n".join(json.dumps(r) for r in rows) + "\n{broken json\n").encode() + b"\xff\xfe bad bytes\n")
    records, malformed = read_prompts_lenient(source)
    assert malformed == 4  # a non-text prompt, a row without it, broken JSON, undecodable bytes
    prompts, flags, stats = clean_prompts(records, malformed)
    assert prompts == ["A cat, 8 k", "a castle in the clouds, matte painting"] and flags == [False, False]
    assert (stats.duplicates, stats.nsfw_dropped, stats.malformed, stats.kept) == (1, 1, 4, 2)
    built = Index.build(source, "mixed", keep_nsfw=True)
    assert built.stats.nsfw_kept == 1 and built.index.size == 3 and built.index.nsfw.sum() == 1
    assert "8k" in [built.index.vocab[i] for i in built.index.modifiers_of(0)]  # "8 k" normalised
    assert all("nude" not in h.prompt for h in search("nude portrait", k=3, index="mixed"))
    assert any(h.nsfw for h in search("nude portrait", k=3, index="mixed", include_nsfw=True))


def test_heldout_bucket_is_excluded_on_request(tmp_path, minilm):
    from promptkit.core.datasets import is_heldout

    lines = [f"a cat number {i}, oil painting" for i in range(60)]
    source = write(tmp_path / "p.txt", "\n".join(lines))
    built = Index.build(source, "split", exclude_heldout=50)
    kept = [built.index.prompt(i) for i in range(built.index.size)]
    assert kept and not any(is_heldout(PromptRecord(p), 50) for p in kept)
    assert built.stats.heldout_dropped == 60 - len(kept)


@pytest.mark.parametrize("name, content, message", [
    ("missing.csv", None, "does not exist"),
    ("p.xml", "<a/>", "unknown dataset format"),
    ("p.csv", "foo,bar\n1,2\n", "no prompt column"),
    ("p.jsonl", "", "is empty"),
    ("p.txt", "nsfw\nnude\n", "no prompts left"),
])
def test_bad_datasets_are_one_line_errors(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises((DatasetError, InputError), match=message) as info:
        Index.build(path, "bad")
    assert "\n" not in str(info.value)
    assert not config.indexes_dir().exists() or not any(config.indexes_dir().iterdir())


def test_hub_dataset_offline_is_one_line():
    with pytest.raises(DatasetError, match="pass a local") as info:
        Index.build("someone/no-such-prompt-dataset", "hub")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("damage, message", [
    (lambda p: (p / "manifest.json").write_text("{not json"), "corrupted"),
    (lambda p: (p / "manifest.json").unlink(), "incomplete"),
    (lambda p: (p / "embeddings.npy").write_bytes((p / "embeddings.npy").read_bytes()[:5000]), "corrupted"),
    (lambda p: (p / "modifier_ids.npy").unlink(), "missing modifier_ids.npy"),
    (lambda p: (p / "prompts.bin").write_bytes(b"short"), "corrupted"),
])
def test_corrupted_index_is_one_line_error(use_index, damage, message):
    damage(use_index)
    with pytest.raises(SearchIndexError, match=message) as info:
        Index.load("synthetic")
    assert "\n" not in str(info.value) and "promptkit index build" in str(info.value)
    assert list_indexes()[0].error is not None  # listed as broken, not crashing the listing


def test_interrupted_build_keeps_previous_index(use_index, corpus_file):
    before = Index.load("synthetic")
    size, created = before.size, before.manifest["created"]

    def interrupt(phase, done, total):
        if phase == "embed":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Index.build([str(corpus_file), str(corpus_file)], "synthetic", force=True, progress=interrupt)
    after = Index.load("synthetic")
    assert (after.size, after.manifest["created"]) == (size, created)
    assert [p.name for p in config.indexes_dir().iterdir()] == ["synthetic"]  # no temp folders left
    assert search("a red fox", k=1, index="synthetic")


def test_index_from_another_embedder(tmp_path, use_index, tiny_embedder, minilm):
    source = write(tmp_path / "p.txt", "a cat on a roof, oil painting\na dog in a park, watercolor\na red fox, 8k\n")
    tiny = Index.build(source, "tiny", embedder=str(tiny_embedder))
    assert tiny.index.embedder == str(tiny_embedder) and tiny.index.embeddings.shape == (3, 32)
    assert len(search("a fox", k=2, index="tiny")) == 2  # queried with its own embedder
    with pytest.raises(SearchIndexError, match="own embedder") as info:
        tiny.index.nearest(minilm.encode(["a fox"])[0], 2)  # a MiniLM vector against a 32-dim index
    assert "\n" not in str(info.value)
    # The same prompts with a different embedder are a different index: rebuilt, not skipped.
    assert not Index.build(source, "tiny").skipped
    assert get_index("tiny").embedder == "static-minilm"  # the default for new indexes


def test_missing_embedder_folder_is_one_line(tmp_path):
    source = write(tmp_path / "p.txt", "a cat\n")
    with pytest.raises(ModelLoadError, match="embedder folder './no-such-embedder' does not exist") as info:
        Index.build(source, "x", embedder="./no-such-embedder")
    assert "\n" not in str(info.value)


def test_bad_names_and_k(use_index):
    for name in ("../escape", ".hidden", "a/b"):  # never a folder outside the index store
        with pytest.raises(InputError, match=f"index name '{re.escape(name)}' is not allowed"):
            Index.build("x.txt", name)
    for name in ("", ".hidden"):
        with pytest.raises(InputError, match=f"index name '{re.escape(name)}' is not allowed"):
            Index.load(name)
    for name in ("../escape", "a/b"):  # looked up by name in the store, never opened as a path
        with pytest.raises(SearchIndexError, match=f"no index named '{re.escape(name)}'"):
            Index.load(name)
    with pytest.raises(InputError, match="k must be between"):
        search("a cat", k=0)
    with pytest.raises(InputError, match="query is empty"):
        search("  ")


def test_multi_process_encoding_matches_single_process(tiny_embedder):
    """The path for big builds: sentence-transformers' multi-process pool (2 CPU workers)."""
    from promptkit.retrieval.embedding import Embedder, EmbedSettings

    texts = [f"a cat number {i}, oil painting, {'8k ' * (i % 5)}" for i in range(40)]
    single = Embedder.load(str(tiny_embedder), EmbedSettings(chunk=16)).encode(texts)
    pooled = Embedder.load(str(tiny_embedder), EmbedSettings(chunk=16, processes=2))
    seen = []
    multi = pooled.encode(texts, progress=lambda d, t: seen.append((d, t)))
    np.testing.assert_allclose(single, multi, atol=2e-2)
    assert seen[-1] == (40, 40)
