import pytest

from promptkit.core.errors import InputError
from promptkit.core.text import (
    Blocklist,
    clip_token_count,
    dedupe_modifiers,
    is_punctuation_only,
    join_prompt,
    normalize_commas,
    normalize_modifier,
    normalize_whitespace,
    split_modifiers,
    split_prompt,
    trim_to_budget,
)


@pytest.mark.parametrize("raw, expected", [
    ("  a  cat\n on\ta mat ", "a cat on a mat"),
    ("", ""),
    ("cafe\u0301", "caf\u00e9"),
])
def test_normalize_whitespace(raw, expected):
    assert normalize_whitespace(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("a cat , 8k ,, detailed", "a cat, 8k, detailed"),
    ("a cat,highly detailed", "a cat, highly detailed"),
    (", , a cat ,", "a cat"),
    ("a cat . detailed", "a cat. detailed"),
    ("a, , , b", "a, b"),
])
def test_normalize_commas(raw, expected):
    assert normalize_commas(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("Highly  Detailed", "highly detailed"),
    ("8 k", "8k"),
    ("3 d render", "3d render"),
    ("35 mm", "35mm"),
    (" trending on artstation. ", "trending on artstation"),
    ("(masterpiece)", "masterpiece"),
])
def test_normalize_modifier(raw, expected):
    assert normalize_modifier(raw) == expected


@pytest.mark.parametrize("raw, subject, modifiers", [
    ("a cat, 8k, highly detailed", "a cat", ("8k", "highly detailed")),
    ("a cat", "a cat", ()),
    ("a cat | oil painting", "a cat", ("oil painting",)),
    (",,,", "", ()),
    ("a cat, , !!, detailed.", "a cat", ("detailed",)),
])
def test_split_prompt(raw, subject, modifiers):
    assert split_prompt(raw) == type(split_prompt("x"))(subject, modifiers)


def test_split_modifiers_drops_punctuation_only():
    assert split_modifiers("a, ..., b, --") == ["a", "b"]
    assert is_punctuation_only("?!..") and not is_punctuation_only("8k")


@pytest.mark.parametrize("mods, existing, expected", [
    (["8k", "8 K", "detailed"], [], ["8k", "detailed"]),
    (["Oil Painting", "oil painting"], ["oil painting"], []),
    (["a", "", "b"], [], ["a", "b"]),
])
def test_dedupe_modifiers(mods, existing, expected):
    assert dedupe_modifiers(mods, existing) == expected


@pytest.mark.parametrize("prompt, added, expected", [
    ("a cat", ["8k"], "a cat, 8k"),
    ("a cat,", ["8k", "art"], "a cat, 8k, art"),
    ("a cat", [], "a cat"),
])
def test_join_prompt(prompt, added, expected):
    assert join_prompt(prompt, added) == expected


def test_blocklist_whole_words_terms_and_regexes():
    default = Blocklist()
    assert default.matches("a NUDE figure")
    assert default.matches("covered in blood")
    assert not default.matches("bloodhound portrait")  # whole words only
    custom = Blocklist.build(["clown"], [r"\bgreg\s+rutkowski\b"])
    assert custom.matches("sad clown") and custom.matches("by Greg  Rutkowski") and custom.matches("naked")
    assert not Blocklist.build(["clown"], defaults=False).matches("naked")
    with pytest.raises(InputError, match="not a valid regular expression"):
        Blocklist.build(extra_patterns=["(unclosed"])


def test_clip_token_count_is_exact():
    # <start> a cat <end>; CLIP lower-cases, so case does not change the count
    assert clip_token_count("a cat") == 4
    assert clip_token_count("A CAT") == 4
    assert clip_token_count("oil painting of a cat sitting on a rainbow, 8k") == 14


def test_trim_to_budget_keeps_whole_modifiers():
    prompt = "a cat"
    added = [f"modifier number {i}" for i in range(30)]
    kept = trim_to_budget(prompt, added, 77)
    assert kept == added[: len(kept)] and 0 < len(kept) < 30
    assert clip_token_count(join_prompt(prompt, kept)) <= 77
    assert clip_token_count(join_prompt(prompt, added[: len(kept) + 1])) > 77
