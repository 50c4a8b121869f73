import json
import subprocess
import sys
from pathlib import Path

import pytest

from promptkit.core.errors import InputError, ModelLoadError
from promptkit.core.text import Blocklist, clip_token_count, normalize_modifier
from promptkit.expansion.expander import Expander, ExpandSettings, clean_modifiers, load_prompt_model, validate_prompt

PROMPT = "oil painting of a cat sitting on a rainbow"


@pytest.fixture(scope="module")
def expander(tiny_model) -> Expander:
    return Expander.load(tiny_model)


def test_expansion_keeps_prompt_verbatim_and_adds_modifiers(expander):
    results = expander.expand(PROMPT, seed=3, settings=ExpandSettings(n=4))
    assert len(results) == 4
    assert [r.index for r in results] == [0, 1, 2, 3]
    for r in results:
        assert r.prompt == PROMPT
        assert r.expanded.startswith(PROMPT + ", ")
        assert r.added and r.expanded == PROMPT + ", " + ", ".join(r.added)
        assert r.seed == 3 and r.model == str(expander.name)
        assert r.clip_tokens == clip_token_count(r.expanded) <= 77
        keys = [normalize_modifier(m) for m in r.added]
        assert len(keys) == len(set(keys))
    data = results[0].to_dict()
    assert {"prompt", "expanded", "added", "seed", "model", "clip_tokens"} <= set(data)
    json.dumps(data)


def test_same_seed_same_texts_other_seed_differs(expander):
    settings = ExpandSettings(n=3)
    first = [r.expanded for r in expander.expand(PROMPT, seed=11, settings=settings)]
    again = [r.expanded for r in expander.expand(PROMPT, seed=11, settings=settings)]
    other = [r.expanded for r in expander.expand(PROMPT, seed=12, settings=settings)]
    assert first == again
    assert first != other


def test_seed_is_drawn_and_reported_when_missing(expander):
    results = expander.expand(PROMPT, settings=ExpandSettings(n=2))
    seed = results[0].seed
    assert isinstance(seed, int) and all(r.seed == seed for r in results)
    replay = expander.expand(PROMPT, seed=seed, settings=ExpandSettings(n=2))
    assert [r.expanded for r in replay] == [r.expanded for r in results]


def test_same_seed_same_texts_in_a_fresh_process(expander, tiny_model):
    code = (
        "import json, sys; from promptkit.expansion.expander import Expander, ExpandSettings;"
        f"e = Expander.load({str(tiny_model)!r});"
        f"print(json.dumps([r.expanded for r in e.expand({PROMPT!r}, seed=5, settings=ExpandSettings(n=3))]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    here = [r.expanded for r in expander.expand(PROMPT, seed=5, settings=ExpandSettings(n=3))]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == here


def test_variants_come_from_one_batched_sampling_loop(expander, monkeypatch):
    import promptkit.expansion.expander as module

    batches = []
    original = module.sample

    def counting(model, ids, count, *args):
        batches.append(count)
        return original(model, ids, count, *args)

    monkeypatch.setattr(module, "sample", counting)
    expander.expand(PROMPT, seed=1, settings=ExpandSettings(n=8))
    assert batches[0] == 8
    assert len(batches) == 1 or all(c < 8 for c in batches[1:])  # retries only re-sample empty variants


def test_sampling_respects_top_k_and_top_p():
    import torch

    from promptkit.expansion.sampling import pick_tokens

    logits = torch.tensor([[5.0, 4.0, 3.0, -1.0, -2.0]] * 200)
    gen = torch.Generator().manual_seed(0)
    top2 = set(pick_tokens(logits, ExpandSettings(top_k=2, top_p=1.0), gen))
    assert top2 == {0, 1}
    greedy = set(pick_tokens(logits, ExpandSettings(top_k=0, top_p=0.01), gen))
    assert greedy == {0}
    again = pick_tokens(logits, ExpandSettings(), torch.Generator().manual_seed(3))
    assert again == pick_tokens(logits, ExpandSettings(), torch.Generator().manual_seed(3))


def test_empty_results_are_retried_a_bounded_number_of_times(expander, monkeypatch):
    outputs = iter([[("...,  ,", True)], [("!!", True)], [("8k, detailed", True)]])
    seeds = []

    def fake_generate(prompt, count, seed, settings):
        seeds.append(seed)
        return next(outputs)

    monkeypatch.setattr(expander, "_generate", fake_generate)
    result = expander.expand("a cat", seed=7, settings=ExpandSettings(n=1, max_retries=3, min_modifiers=0))
    assert result[0].added == ("8k", "detailed") and len(seeds) == 3 and len(set(seeds)) == 3

    monkeypatch.setattr(expander, "_generate", lambda prompt, count, seed, settings: [("", True)] * count)
    result = expander.expand("a cat", seed=7, settings=ExpandSettings(n=2, max_retries=2, min_modifiers=0))
    assert [r.expanded for r in result] == ["a cat", "a cat"]


def test_blocklist_and_duplicates_are_dropped(expander, monkeypatch):
    monkeypatch.setattr(
        expander, "_generate",
        lambda prompt, count, seed, settings: [("oil painting, nude, 8k, 8 K, covered in blood, my clown, sharp focus", True)] * count,
    )
    settings = ExpandSettings(n=1, blocklist=Blocklist.build(["clown"]), min_modifiers=0)
    result = expander.expand("a cat, oil painting", seed=1, settings=settings)[0]
    assert result.added == ("8k", "sharp focus")
    assert result.blocked == 3


def test_budget_trims_at_modifier_boundaries(expander, monkeypatch):
    long_text = ", ".join(f"very long modifier phrase number {i}" for i in range(40))
    monkeypatch.setattr(expander, "_generate", lambda prompt, count, seed, settings: [(long_text, True)] * count)
    trimmed = expander.expand(PROMPT, seed=1, settings=ExpandSettings(min_modifiers=0))[0]
    assert trimmed.clip_tokens <= 77 and trimmed.trimmed > 0
    assert all(m.startswith("very long modifier phrase number") for m in trimmed.added)
    untrimmed = expander.expand(PROMPT, seed=1, settings=ExpandSettings(clip_budget=None, min_modifiers=0))[0]
    assert len(untrimmed.added) == 40 and untrimmed.clip_tokens > 77


@pytest.mark.parametrize("text, finished, expected", [
    ("8k, highly detailed, by greg", False, ["8k", "highly detailed"]),
    ("8k, highly detailed, by greg", True, ["8k", "highly detailed", "by greg"]),
    ("8k, highly detailed,", False, ["8k", "highly detailed"]),
    (" ,  , ", True, []),
    ("art station ,sharp focus", True, ["art station", "sharp focus"]),
])
def test_clean_modifiers(text, finished, expected):
    assert clean_modifiers(text, finished) == expected


@pytest.mark.parametrize("fields, message", [
    ({"n": 0}, "n must be between 1"),
    ({"n": -2}, "n must be between 1"),
    ({"temperature": 0}, "greater than 0"),
    ({"temperature": -1.0}, "greater than 0"),
    ({"temperature": float("inf")}, "finite"),
    ({"top_p": 0}, "top-p"),
    ({"top_k": -1}, "top-k"),
    ({"max_new_tokens": 0}, "max new tokens"),
])
def test_bad_settings_are_one_line_errors_on_creation(fields, message):
    with pytest.raises(InputError, match=message) as info:
        ExpandSettings(**fields)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("prompt, message", [
    ("", "prompt is empty"),
    ("   \n\t", "prompt is empty"),
    ("x" * 5000, "5,000 characters"),
    ("word " * 100, "CLIP tokens"),
])
def test_bad_prompts_are_one_line_errors(prompt, message):
    with pytest.raises(InputError, match=message) as info:
        validate_prompt(prompt, clip_budget=77)
    assert "\n" not in str(info.value)


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ModelLoadError, match="does not exist"):
        load_prompt_model(str(tmp_path / "nope"))


def test_folder_without_safetensors_is_refused(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "pytorch_model.bin").write_bytes(b"pickle")
    with pytest.raises(ModelLoadError, match="safetensors"):
        load_prompt_model(str(tmp_path))


def test_broken_model_folder_is_a_clear_error(tmp_path, tiny_model):
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in Path(tiny_model).iterdir():
        (broken / f.name).write_bytes(f.read_bytes())
    (broken / "model.safetensors").write_bytes(b"\x00garbage" * 10)
    with pytest.raises(ModelLoadError, match="is broken") as info:
        load_prompt_model(str(broken))
    assert "\n" not in str(info.value)


def test_unknown_hub_id_offline_says_how_to_pass_a_folder():
    with pytest.raises(ModelLoadError, match="pass a local folder") as info:
        load_prompt_model("Gustavosta/MagicPrompt-Stable-Diffusion")
    assert "\n" not in str(info.value)


def test_hub_loading_path_is_from_pretrained(monkeypatch, tiny_model):
    """A hub id goes through from_pretrained (here served from the local cache stand-in)."""
    import transformers

    seen = []
    original_model = transformers.AutoModelForCausalLM.from_pretrained
    original_tok = transformers.AutoTokenizer.from_pretrained

    def model_from(source, **kwargs):
        seen.append((source, kwargs.get("use_safetensors"), kwargs.get("trust_remote_code")))
        return original_model(str(tiny_model), **kwargs)

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", model_from)
    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", lambda source, **kw: original_tok(str(tiny_model), **kw))
    loaded = load_prompt_model("someone/prompt-model")
    assert loaded.name == "someone/prompt-model"
    assert seen == [("someone/prompt-model", True, False)]
