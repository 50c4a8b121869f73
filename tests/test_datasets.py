import json

import pytest

from promptkit.core.datasets import PromptRecord, heldout_bucket, is_heldout, read_prompts
from promptkit.core.errors import DatasetError


def test_reads_every_local_format(tmp_path):
    (tmp_path / "p.txt").write_text("a cat, 8k\n\n a dog \n", encoding="utf-8")
    (tmp_path / "p.csv").write_text('prompt,other\n"a cat, 8k",x\na dog,y\n', encoding="utf-8")
    (tmp_path / "p.tsv").write_text("text\tother\na cat, 8k\tx\na dog\ty\n", encoding="utf-8")
    (tmp_path / "p.jsonl").write_text(json.dumps({"prompt": "a cat, 8k"}) + "\n" + json.dumps({"prompt": "a dog"}) + "\n", encoding="utf-8")
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"caption": ["a cat, 8k", "a dog"]}), tmp_path / "p.parquet")
    for name in ("p.txt", "p.csv", "p.tsv", "p.jsonl", "p.parquet"):
        assert read_prompts(tmp_path / name) == [PromptRecord("a cat, 8k"), PromptRecord("a dog")], name


def test_pairs_and_explicit_columns(tmp_path):
    path = tmp_path / "pairs.jsonl"
    path.write_text(json.dumps({"short": "a cat", "long": "a cat, 8k"}) + "\n", encoding="utf-8")
    assert read_prompts(path) == [PromptRecord("a cat, 8k", short="a cat")]
    path2 = tmp_path / "c.csv"
    path2.write_text("q,z\na cat,1\n", encoding="utf-8")
    assert read_prompts(path2, column="q") == [PromptRecord("a cat")]


@pytest.mark.parametrize("name, content, message", [
    ("missing.csv", None, "does not exist"),
    ("p.xml", "<a/>", "unknown dataset format"),
    ("p.csv", "foo,bar\n1,2\n", "no prompt column"),
    ("p.jsonl", "", "is empty"),
    ("p.jsonl", '{"prompt": "a"}\n{broken\n', "line 2 is not valid JSON"),
    ("p.txt", b"ok\n\xff\n", "not valid UTF-8"),
])
def test_bad_datasets_are_one_line_errors(tmp_path, name, content, message):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(DatasetError, match=message) as info:
        read_prompts(path)
    assert "\n" not in str(info.value)


def test_unknown_hub_dataset_offline_is_one_line():
    with pytest.raises(DatasetError, match="local csv/jsonl/parquet/txt") as info:
        read_prompts("someone/no-such-prompt-dataset")
    assert "\n" not in str(info.value)


def test_heldout_split_is_stable_and_case_insensitive():
    assert heldout_bucket("A Cat, 8k!") == heldout_bucket("a cat 8k")
    buckets = [heldout_bucket(f"prompt number {i}") for i in range(2000)]
    share = sum(b < 10 for b in buckets) / len(buckets)
    assert 0.07 < share < 0.13
    assert is_heldout(PromptRecord("x"), 100) and not is_heldout(PromptRecord("x"), 0)
