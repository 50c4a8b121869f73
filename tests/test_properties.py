"""Property-based tests (hypothesis): for any text, the helpers return something valid or raise a
PromptkitError, never another exception. The number of examples each ran is in the test summary."""

from __future__ import annotations

import re

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from promptkit.core.errors import PromptkitError  # noqa: E402

EXAMPLES: dict[str, int] = {}  # test name -> examples run, printed by conftest's terminal summary
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
TEXT = st.text(st.characters(codec="utf-8"), max_size=300) | st.sampled_from(
    ["a cat\non a rainbow", "\x1b[2J\x1b]0;t\x07", "\x00", "../../etc", "", "  ,, , ", "8 k, by greg rutkowski"])
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | TEXT,
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=6), max_leaves=12)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _count(name: str) -> None:
    EXAMPLES[name] = EXAMPLES.get(name, 0) + 1


@FAST
@given(TEXT)
def test_validate_prompt_is_one_clean_line_or_a_promptkit_error(text):
    _count("validate_prompt")
    from promptkit.core.text import MAX_PROMPT_CHARS, validate_prompt

    try:
        prompt = validate_prompt(text)
    except PromptkitError:
        return
    assert prompt and prompt == prompt.strip() and len(prompt) <= MAX_PROMPT_CHARS and not _CONTROL.search(prompt)


@FAST
@given(TEXT)
def test_split_and_normalise_never_raise(text):
    _count("split_prompt")
    from promptkit.core.text import normalize_whitespace, split_prompt

    split = split_prompt(text)
    assert isinstance(normalize_whitespace(text), str) and all(isinstance(m, str) for m in split.modifiers)


@FAST
@given(TEXT, st.integers(1, 80))
def test_a_slug_never_leaves_its_folder(text, max_chars):
    _count("slugify")
    from promptkit.core.files import slugify

    slug = slugify(text, max_chars)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug) and len(slug) <= max(max_chars, len("prompt"))


@FAST
@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60),
       st.lists(st.text(min_size=1, max_size=30), max_size=12), st.integers(5, 77))
def test_the_trimmed_prompt_is_within_its_budget(prompt, added, budget):
    _count("trim_to_budget")
    from promptkit.core.text import clip_token_count, join_prompt, trim_to_budget

    kept = trim_to_budget(prompt, added, budget)
    assert kept == added[: len(kept)]
    if clip_token_count(join_prompt(prompt, [])) <= budget:
        assert clip_token_count(join_prompt(prompt, kept)) <= budget


@FAST
@given(JSON)
def test_metadata_from_any_json_is_valid_or_one_promptkit_error(data):
    _count("metadata_json")
    from promptkit.rendering.metadata import ImageMetadata, check_metadata

    try:
        meta = ImageMetadata.from_dict(data)
    except PromptkitError as exc:
        assert "\n" not in str(exc)
        return
    assert check_metadata(meta) is meta


@FAST
@given(TEXT, TEXT)
@example("a cat", '3, Seed: 1, Size: 64x64, Model: "\\q"')  # an invalid JSON escape in a quoted value
@example("a cat", "3, Seed: 99999999999999999999999, Size: 64x64")
def test_a1111_parameters_from_any_text_are_valid_or_one_promptkit_error(body, settings_line):
    _count("a1111_parameters")
    from promptkit.rendering.metadata import check_metadata, parse_a1111

    try:
        check_metadata(parse_a1111(f"{body}\nSteps: {settings_line}"))
    except PromptkitError:
        pass


@FAST
@given(st.binary(max_size=400) | TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")), st.sampled_from(["txt", "csv", "tsv", "jsonl"]))
def test_dataset_readers_return_prompts_or_a_promptkit_error(tmp_path_factory, data, suffix):
    _count("dataset_readers")
    from promptkit.core.datasets import read_prompts, read_prompts_lenient

    path = tmp_path_factory.mktemp("data") / f"prompts.{suffix}"
    path.write_bytes(data)
    for reader in (read_prompts, lambda p: read_prompts_lenient(p)[0]):
        try:
            records = reader(path)
        except PromptkitError:
            continue
        assert records and all(isinstance(r.prompt, str) and r.prompt for r in records)
