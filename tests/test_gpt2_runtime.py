"""promptkit's light GPT-2 runtime computes what transformers computes, from the same folder."""

import json

import torch

from promptkit.expansion import gpt2_runtime
from promptkit.expansion.expander import Expander, ExpandSettings, load_prompt_model


def test_logits_and_cached_steps_match_transformers(tiny_model):
    light = load_prompt_model(str(tiny_model))
    reference = load_prompt_model(str(tiny_model), trainable=True)
    assert isinstance(light.model, gpt2_runtime.GPT2)
    assert type(reference.model).__name__ == "GPT2LMHeadModel"
    text = "a cat sitting on a rainbow,"
    ids = light.tokenizer(text).input_ids
    assert ids == reference.tokenizer(text, add_special_tokens=False).input_ids
    assert light.tokenizer.eos_token_id == reference.tokenizer.eos_token_id
    x = torch.tensor([[light.tokenizer.bos_token_id] + ids] * 3)
    with torch.inference_mode():
        ours = light.model(input_ids=x, use_cache=True)
        theirs = reference.model(input_ids=x, use_cache=True)
        assert torch.allclose(ours.logits, theirs.logits, atol=1e-4)
        step = torch.tensor([[5], [6], [7]])
        ours2 = light.model(input_ids=step, cache=ours.cache, use_cache=True)
        theirs2 = reference.model(input_ids=step, cache=theirs.cache, use_cache=True)
        assert torch.allclose(ours2.logits, theirs2.logits, atol=1e-4)
    assert light.tokenizer.decode(ids) == reference.tokenizer.decode(ids, skip_special_tokens=True)


def test_expansions_match_between_runtimes(tiny_model):
    light = Expander(load_prompt_model(str(tiny_model)))
    reference = Expander(load_prompt_model(str(tiny_model), trainable=True))
    for seed in (0, 1, 2):
        settings = ExpandSettings(n=3)
        assert [e.expanded for e in light.expand("a red fox", seed, settings)] == [e.expanded for e in reference.expand("a red fox", seed, settings)]


def test_only_plain_gpt2_folders_use_the_runtime(tiny_model, tmp_path):
    assert gpt2_runtime.can_load(tiny_model)
    other = tmp_path / "other"
    other.mkdir()
    for f in tiny_model.iterdir():
        (other / f.name).write_bytes(f.read_bytes())
    config = json.loads((other / "config.json").read_text())
    config["scale_attn_by_inverse_layer_idx"] = True
    (other / "config.json").write_text(json.dumps(config))
    assert not gpt2_runtime.can_load(other)
    assert type(load_prompt_model(str(other)).model).__name__ == "GPT2LMHeadModel"
    (other / "tokenizer.json").unlink()
    assert not gpt2_runtime.can_load(other)
