"""Topics and the atlas: clusters cover every prompt, labels come from distinctive words, files are
written atomically beside the index, and bad input is one line."""

from __future__ import annotations

import dataclasses
import json
import os

import numpy as np
import pytest
from typer.testing import CliRunner

from promptkit.cli.app import app
from promptkit.core.errors import InputError

runner = CliRunner()


def one_line_error(result, *words):
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error:"), result.output
    assert "Traceback" not in result.output
    for word in words:
        assert word in lines[0], lines[0]


def test_c_tf_idf_prefers_what_is_frequent_in_a_topic_and_rare_elsewhere():
    from promptkit.topicmap.labels import c_tf_idf

    # columns: a word every topic uses a lot, a word only topic 0 uses, a word only topic 1 uses
    counts = np.array([[50, 10, 0], [50, 0, 10], [50, 0, 0]])
    weights = c_tf_idf(counts)
    assert weights[0].argmax() == 1 and weights[1].argmax() == 2
    assert weights[0, 0] < weights[0, 1]


def test_labels_are_short_and_never_repeat():
    from promptkit.topicmap.labels import labels_for

    found = labels_for([["fox", "red", "snow", "winter"], ["fox", "red", "snow", "forest"], ["fox", "red", "snow"], [], ["castles", "castle"]])
    assert found == ["fox · red · snow", "fox · red · forest", "fox · red · snow (3)", "topic (4)", "castles"]


def test_examples_name_the_topic_before_they_are_central():
    from promptkit.topicmap.labels import examples

    prompts = ["what are you thinking right now?", "donald trump as a roman emperor, oil painting", "a man in a suit",
               "portrait of donald trump, studio lighting", "trump tower at night, photo", "a man in a suit again"]
    vectors = np.array([[0.0], [0.3], [0.1], [0.4], [0.5], [0.1]], dtype=np.float32)  # the off-topic prompt is the centre
    found = examples(prompts.__getitem__, vectors, np.zeros(6, np.int64), np.zeros((1, 1), np.float32), None,
                     [["trump", "donald trump"]])
    assert found == [["donald trump as a roman emperor, oil painting", "portrait of donald trump, studio lighting", "trump tower at night, photo"]]
    # a prompt naming the topic is found past the nearest few dozen
    many = ["hell"] * 40 + ["jesus playing guitar at a rock concert"]
    far = np.arange(41, dtype=np.float32)[:, None]
    assert examples(many.__getitem__, far, np.zeros(41, np.int64), np.zeros((1, 1), np.float32), None, [["concert", "rock"]]) == [
        ["jesus playing guitar at a rock concert", "hell"]]
    # without words: nearest first, prompts of 4+ words before shorter ones, duplicates once
    assert examples(prompts.__getitem__, vectors, np.zeros(6, np.int64), np.zeros((1, 1), np.float32), None)[0][0] == prompts[0]


def test_distinctive_modifiers_leave_out_what_every_topic_uses():
    from promptkit.topicmap.labels import topic_modifiers

    vocab = ["highly detailed", "cyberpunk", "watercolor", "8k"]
    per_prompt = [[0, 1, 3]] * 10 + [[0, 2]] * 10 + [[0, 3]] * 10  # topic 0: cyberpunk; topic 1: watercolor; topic 2: plain
    ids = np.array([m for mods in per_prompt for m in mods], dtype=np.int32)
    offsets = np.concatenate([[0], np.cumsum([len(m) for m in per_prompt])])
    labels = np.repeat([0, 1, 2], 10)
    found = topic_modifiers(vocab, ids, offsets, labels, 3)
    assert found[0] == [("cyberpunk", 10)] and found[1] == [("watercolor", 10)] and found[2] == []


def test_candidate_ks_scale_with_the_index():
    from promptkit.topicmap.clustering import K_MAX, candidate_ks

    assert candidate_ks(60) == [2]
    small, big = candidate_ks(400), candidate_ks(1_000_000)
    assert min(small) >= 2 and max(small) <= 400 // 25
    assert max(big) == K_MAX and big == sorted(big)


def test_topics_cover_every_prompt_and_are_stored_beside_the_index(use_index):
    import promptkit
    from promptkit.topicmap.stored import TOPICS_FILE

    found = promptkit.topics()
    assert found.index_name == "synthetic" and not found.cached and found.k_from_data
    assert found.assignments.shape == (found.prompts,) and sum(t.size for t in found) == found.prompts
    assert np.bincount(found.assignments).tolist() == [t.size for t in found]
    assert [t.size for t in found] == sorted((t.size for t in found), reverse=True)
    best = max(found.silhouettes.values())  # the most topics among the near-best silhouettes
    assert found.silhouettes[len(found)] >= 0.85 * best and all(k < len(found) or s < 0.85 * best for k, s in found.silhouettes.items() if k != len(found))
    subjects = {"cat", "knight", "lighthouse", "fox", "castle", "robot", "ship", "forest", "city", "dragon", "bowl", "book"}
    for topic in found:
        assert 1 <= len(topic.label.split(" · ")) <= 3 and len(topic.examples) == 3
        assert set(topic.label.split(" · ")) & subjects, topic.label  # the subjects, not the modifiers every prompt has
        assert "highly" not in topic.label and "detailed" not in topic.label
        assert all(count >= 2 for _, count in topic.modifiers)
    assert len({t.label for t in found}) == len(found)
    with pytest.raises(dataclasses.FrozenInstanceError):
        found.topics[0].label = "x"
    with pytest.raises(ValueError):
        found.assignments[0] = 1
    assert (use_index / TOPICS_FILE).is_file()
    again = promptkit.topics("synthetic")
    assert again.cached and [t.to_dict() for t in again] == [t.to_dict() for t in found]
    assert np.array_equal(again.assignments, found.assignments)


def test_a_given_k_is_kept_and_checked(use_index):
    import promptkit

    found = promptkit.topics(k=5)
    assert len(found) == 5 and not found.k_from_data and found.silhouettes == {}
    assert promptkit.topics(k=5).cached and len(promptkit.topics()) == 5  # the stored topics serve a call without k
    for bad in (1, 0, 1000, True, "5"):
        with pytest.raises(InputError, match="topics"):
            promptkit.topics(k=bad)


def test_topics_cli_table_and_json(use_index):
    result = runner.invoke(app, ["topics", "-k", "6"])
    assert result.exit_code == 0, result.output
    assert "6 topics (as asked)" in result.output and "synthetic" in result.output
    result = runner.invoke(app, ["topics", "--index", "synthetic", "-k", "6", "--json"])
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert len(rows) == 6 and sum(r["size"] for r in rows) == 400
    assert set(rows[0]) == {"id", "label", "size", "words", "modifiers", "examples", "index"}
    assert len(rows[0]["examples"]) == 3
    assert all(set(m) == {"modifier", "prompts"} for row in rows for m in row["modifiers"])


def test_too_small_an_index_is_one_line(tmp_path, minilm):
    from promptkit.retrieval.index import Index

    source = tmp_path / "few.txt"
    source.write_text("\n".join(f"a small prompt number {i}, oil painting" for i in range(20)) + "\n", encoding="utf-8")
    Index.build([str(source)], "few")
    one_line_error(runner.invoke(app, ["topics", "--index", "few"]), "20 prompts", "at least 50")
    one_line_error(runner.invoke(app, ["atlas", "--index", "few", "--out", str(tmp_path / "a.html")]), "at least 50")
    assert not (tmp_path / "a.html").exists()


def test_a_broken_index_gives_the_error_search_gives(use_index, tmp_path):
    (use_index / "manifest.json").write_text("{not json", encoding="utf-8")
    searched = runner.invoke(app, ["search", "a castle", "--index", "synthetic"])
    one_line_error(searched, "corrupted")
    one_line_error(runner.invoke(app, ["topics", "--index", "synthetic"]))
    assert runner.invoke(app, ["topics", "--index", "synthetic"]).output == searched.output
    assert runner.invoke(app, ["atlas", "--index", "synthetic", "--out", str(tmp_path / "a.html")]).output == searched.output
    one_line_error(runner.invoke(app, ["topics", "--index", "missing"]), "no index named 'missing'")


@pytest.mark.parametrize("where", ["compute", "write"])
def test_an_interrupted_topic_build_leaves_no_file_and_a_usable_index(use_index, where):
    import promptkit
    from promptkit.core import files
    from promptkit.topicmap import labels

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    real_fdopen = os.fdopen

    def half_then_interrupt(fd, mode="r", *args, **kwargs):
        handle = real_fdopen(fd, mode, *args, **kwargs)
        handle.write = lambda data: (os.write(fd, data[: len(data) // 2]), interrupt())
        return handle

    before = sorted(p.name for p in use_index.iterdir())
    with pytest.MonkeyPatch.context() as patch:
        if where == "compute":
            patch.setattr(labels, "topic_modifiers", interrupt)
        else:
            patch.setattr(files.os, "fdopen", half_then_interrupt)
        with pytest.raises(KeyboardInterrupt):
            promptkit.topics("synthetic")
    assert sorted(p.name for p in use_index.iterdir()) == before  # no topic file, whole or half, no temporary file
    assert promptkit.search("a castle in the clouds", 3, index="synthetic")[0].prompt
    assert not promptkit.topics("synthetic").cached


def test_a_damaged_or_stale_topic_file_is_computed_again(use_index):
    import promptkit
    from promptkit.topicmap.stored import TOPICS_FILE

    first = promptkit.topics()
    (use_index / TOPICS_FILE).write_bytes(b"PK\x03\x04 not a zip")
    assert not promptkit.topics().cached
    manifest = json.loads((use_index / "manifest.json").read_text(encoding="utf-8"))
    manifest["created"] = "2030-01-01T00:00:00+00:00"  # as a rebuild would leave it
    (use_index / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    again = promptkit.topics()
    assert not again.cached and [t.label for t in again] == [t.label for t in first]


def test_atlas_writes_a_self_contained_page_and_a_picture(use_index, tmp_path):
    from PIL import Image

    import promptkit

    result = promptkit.atlas(out=tmp_path / "maps" / "atlas.html", max_points=120)
    assert result.paths == (tmp_path / "maps" / "atlas.html", tmp_path / "maps" / "atlas.png")
    assert (result.points, result.prompts, result.sampled) == (120, 400, True)
    page = result.html.read_text(encoding="utf-8")
    assert "<script src" not in page and "http://" not in page and "https://" not in page  # nothing is fetched
    data = json.loads(page.split('id="atlas-data">', 1)[1].split("</script>", 1)[0])
    assert len(data["x"]) == len(data["prompts"]) == len(data["t"]) == 120
    assert "seeded sample of 120 of 400 prompts" in data["note"] and "topics cover all" in data["note"]
    assert all(0 <= v <= 1 for v in data["x"] + data["y"])
    assert {t["label"] for t in data["topics"]} == {t.label for t in promptkit.topics()}
    with Image.open(result.png) as image:
        assert image.size == (1200, 900) and image.info.get("Software") == "promptkit atlas"
    again = promptkit.atlas(out=tmp_path / "maps" / "atlas.html", max_points=120)  # an earlier atlas is replaced
    assert again.html.read_text(encoding="utf-8") == page


def test_page_data_cannot_close_its_script_tag():
    from promptkit.topicmap.page import render_page

    page = render_page({"title": "<b>t</b>", "note": "", "x": [0.5], "y": [0.5], "t": [0],
                        "prompts": ["</script><script>alert(1)</script> & more"], "topics": []})
    assert page.count("</script>") == 2 and "alert(1)" in page and "&lt;b&gt;t&lt;/b&gt;" in page


def test_atlas_cli_and_its_bad_outputs(use_index, tmp_path):
    out = tmp_path / "atlas.html"
    result = runner.invoke(app, ["atlas", "--out", str(out), "--no-preview"])
    assert result.exit_code == 0, result.output
    assert out.is_file() and out.with_suffix(".png").is_file() and "400 prompts drawn" in result.output
    result = runner.invoke(app, ["atlas", "--out", str(out), "--json"])
    assert json.loads(result.output)["html"] == str(out)

    one_line_error(runner.invoke(app, ["atlas", "--out", str(tmp_path)]), "is a folder")
    blocker = tmp_path / "a-file"
    blocker.write_text("mine", encoding="utf-8")
    one_line_error(runner.invoke(app, ["atlas", "--out", str(blocker / "atlas.html")]), "cannot write")
    notes = tmp_path / "notes.html"
    notes.write_text("<p>my notes</p>", encoding="utf-8")
    one_line_error(runner.invoke(app, ["atlas", "--out", str(notes)]), "not a promptkit atlas", "--force")
    assert notes.read_text(encoding="utf-8") == "<p>my notes</p>"
    (tmp_path / "pic.png").write_bytes(b"\x89PNG mine")
    one_line_error(runner.invoke(app, ["atlas", "--out", str(tmp_path / "pic.html")]), "pic.png", "not a promptkit atlas")
    assert not (tmp_path / "pic.html").exists()
    assert runner.invoke(app, ["atlas", "--out", str(notes), "--force", "--no-preview"]).exit_code == 0
    assert "promptkit atlas" in notes.read_text(encoding="utf-8")
    one_line_error(runner.invoke(app, ["atlas", "--out", str(tmp_path / "x.png")]), "picture")


def test_flagged_prompts_are_neither_examples_nor_drawn(use_index, tmp_path):
    import promptkit
    from promptkit.retrieval.index import Index

    index = Index.load("synthetic")
    flagged = np.array(["dragon" in index.prompt(i) for i in range(index.size)])
    assert 0 < flagged.sum() < index.size
    index.manifest = dict(index.manifest, keep_nsfw=True)  # as an index built with --keep-nsfw
    index.nsfw = flagged
    result = promptkit.atlas(index, out=tmp_path / "atlas.html")
    assert result.points == index.size - flagged.sum()
    page = result.html.read_text(encoding="utf-8")
    data = json.loads(page.split('id="atlas-data">', 1)[1].split("</script>", 1)[0])
    assert not any("dragon" in p for p in data["prompts"])
    found = promptkit.topics(index)
    assert found.prompts == index.size and not any("dragon" in e for t in found for e in t.examples)
