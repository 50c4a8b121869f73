"""The coherence rules and the candidate vocabulary, as tables of pure functions."""

import pytest

from promptkit.modifiers.coherence import allowed, check_expansion, conflicts, kinds, prompt_medium, redundant, synonym_groups
from promptkit.modifiers.vocabulary import canonical_forms, categorize, is_candidate


@pytest.mark.parametrize("prompt, medium", [
    ("a photo of an old fisherman", "photo"),
    ("macro photo of a dew drop, 35mm", "photo"),
    ("a watercolor of a lighthouse", "painting"),
    ("oil painting of a cat sitting on a rainbow", "painting"),
    ("pencil sketch of an old tree", "drawing"),
    ("anime girl with a sword", "anime"),
    ("pixel art of a knight", "pixel"),
    ("logo of a coffee shop", "logo"),
    ("a minimalist vector icon of a rocket", "logo"),
    ("3d render of a cute robot", "render3d"),
    ("a castle on a hill", None),
])
def test_prompt_medium(prompt, medium):
    assert prompt_medium(prompt) == medium


@pytest.mark.parametrize("modifier, prompt", [
    ("photorealistic", "a watercolor of a lighthouse"),
    ("octane render", "logo of a coffee shop"),
    ("octane render", "pixel art of a knight"),
    ("8k", "pixel art of a knight"),
    ("oil painting", "a photo of an old fisherman"),
    ("digital painting", "oil painting of a cat"),
    ("high fantasy", "a photo of an old fisherman"),
    ("anime style", "a photo of a street"),
    ("intricate line drawings", "portrait of an old fisherman, 35mm photo"),
])
def test_contradicting_media_are_refused(modifier, prompt):
    assert conflicts(kinds(modifier), kinds(prompt))
    assert not allowed(modifier, [], prompt)


@pytest.mark.parametrize("modifier, prompt", [
    ("film grain", "a photo of an old fisherman"),
    ("brush strokes", "oil painting of a cat"),
    ("flat colors", "logo of a coffee shop"),
    ("octane render", "3d render of a cute robot"),
    ("cel shaded", "anime girl with a sword"),
])
def test_fitting_modifiers_are_allowed(modifier, prompt):
    assert allowed(modifier, [], prompt)


def test_one_variant_never_mixes_media():
    assert not allowed("oil painting", ["35mm photograph"], "a castle on a hill")
    assert allowed("oil painting", ["by claude monet"], "a castle on a hill")


@pytest.mark.parametrize("modifier, chosen, prompt", [
    ("artstation", ["trending on artstation"], "a cat"),
    ("night", [], "a city at night"),
    ("8k", ["4k"], "a cat"),
    ("highly detailed", ["intricate details"], "a cat"),
    ("50mm", ["35mm"], "a photo of a cat"),
    ("35mm", ["30mm photorealistic"], "a photo of a red car"),  # a phrase in two groups (lens, realism) holds both
    ("sigma 105mm", ["30mm photorealistic"], "a photo of a red car"),
])
def test_redundant_and_synonymous_modifiers_are_refused(modifier, chosen, prompt):
    assert not allowed(modifier, chosen, prompt)


def test_redundancy_and_synonym_groups():
    assert redundant("artstation", ["trending on artstation"])
    assert not redundant("volumetric lighting", ["cinematic lighting"])
    assert synonym_groups("8k") == synonym_groups("uhd") == {"resolution"}
    assert synonym_groups("30mm photorealistic") == {"lens", "realism"}
    assert not synonym_groups("volumetric lighting") & synonym_groups("film grain")
    assert not allowed("fujifilm superia", ["kodak portra"], "a photo of a red car")  # one film stock a photo
    assert allowed("kodak portra 400", ["hasselblad"], "a photo of a red car")  # a camera body and its film go together


def test_check_expansion_finds_conflicts_and_repeats():
    assert check_expansion("a watercolor of a lighthouse", ["photorealistic"])["conflict"]
    assert check_expansion("a cat", ["4k", "8k"])["redundant"]
    assert check_expansion("a cat", ["by greg rutkowski", "volumetric lighting"]) == {"conflict": False, "redundant": False}


@pytest.mark.parametrize("phrase, keys", [
    ("art by greg rutkowski and alphonse mucha", ["by greg rutkowski", "by alphonse mucha"]),
    ("Trending on ArtStation", ["trending on artstation"]),
    ("a black and white", ["black and white"]),
    ("in the style of cyberpunk", ["in the style of cyberpunk"]),
])
def test_canonical_forms(phrase, keys):
    assert canonical_forms(phrase) == keys


@pytest.mark.parametrize("key, candidate", [
    ("volumetric lighting", True), ("by greg rutkowski", True), ("35mm", True), ("watercolor", True),
    ("sharp", False), ("art", False), ("octane", False), ("golden armor", False), ("a cat", False),
    ("very very very beautiful", False), ("extremly detailed", False), ("realistic portrait", False),
    ("qualitty 4k", False), ("vray qled", False), ("hight detailed", False),
])
def test_candidates_are_whole_modifiers_with_a_role(key, candidate):
    assert is_candidate(key) == candidate


def test_categories():
    assert categorize("by greg rutkowski") == "artist"
    assert categorize("volumetric lighting") == "lighting"
    assert categorize("35mm") == "camera"
    assert categorize("pastel colors") == "colour"
    assert categorize("cat") is None
