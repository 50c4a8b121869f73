"""A small inference-only GPT-2 runtime: torch, safetensors and tokenizers, no transformers import.

Importing transformers' GPT-2 modeling code costs ~3 s on a 2-core machine, more than the whole
expansion; `promptkit expand` answers in about half the time with this runtime. It reads the
standard files that `promptkit train` and `save_pretrained` write (config.json, model.safetensors,
tokenizer.json) and computes the same logits as `transformers.GPT2LMHeadModel` (tested). Anything
that is not a plain GPT-2 folder goes through transformers instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

_ACTIVATIONS = ("gelu_new", "gelu", "gelu_pytorch_tanh", "relu")


def can_load(folder: Path) -> bool:
    """A local GPT-2 folder with safetensors weights and a fast-tokenizer file."""
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        config.get("model_type") == "gpt2"
        and config.get("activation_function", "gelu_new") in _ACTIVATIONS
        and not config.get("scale_attn_by_inverse_layer_idx") and not config.get("reorder_and_upcast_attn")
        and not config.get("add_cross_attention")
        and (folder / "model.safetensors").is_file()
        and (folder / "tokenizer.json").is_file()
    )


class FastTokenizer:
    """The slice of the transformers tokenizer API the expander uses, over a `tokenizers.Tokenizer`."""

    @dataclass
    class Encoding:
        input_ids: list[int]

    def __init__(self, folder: Path):
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        settings = {}
        if (folder / "tokenizer_config.json").is_file():
            settings = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
        self.bos_token_id = self._token_id(settings.get("bos_token"))
        self.eos_token_id = self._token_id(settings.get("eos_token"))

    def _token_id(self, token) -> int | None:
        if isinstance(token, dict):
            token = token.get("content")
        return self._tokenizer.token_to_id(token) if token else None

    def __call__(self, text: str, add_special_tokens: bool = False) -> FastTokenizer.Encoding:
        return self.Encoding(self._tokenizer.encode(text, add_special_tokens=add_special_tokens).ids)

    def decode(self, ids, skip_special_tokens: bool = True) -> str:
        return self._tokenizer.decode(list(ids), skip_special_tokens=skip_special_tokens)


@dataclass
class Output:
    logits: object
    cache: list


class GPT2:
    """GPT-2 forward pass with a key/value cache, from the weights of a GPT2LMHeadModel."""

    def __init__(self, config: dict, weights: dict):
        self.config = _Config(config)
        self.n_head = config["n_head"]
        self.eps = config.get("layer_norm_epsilon", 1e-5)
        self.activation = config.get("activation_function", "gelu_new")
        self.w = weights
        self.layers = config["n_layer"]
        self.lm_head = weights.get("lm_head.weight", weights["transformer.wte.weight"])

    @classmethod
    def load(cls, folder: Path) -> GPT2:
        from safetensors.torch import load_file

        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        weights = {k.removeprefix("model."): v.float() for k, v in load_file(str(folder / "model.safetensors")).items()}
        missing = [k for k in ("transformer.wte.weight", "transformer.wpe.weight", "transformer.ln_f.weight") if k not in weights]
        if missing:
            raise ValueError(f"model.safetensors lacks {', '.join(missing)}")
        return cls(config, weights)

    def __call__(self, input_ids, cache: list | None = None, use_cache: bool = True) -> Output:
        import torch
        import torch.nn.functional as F

        w = self.w
        past = cache[0][0].shape[2] if cache else 0
        positions = torch.arange(past, past + input_ids.shape[1])
        x = w["transformer.wte.weight"][input_ids] + w["transformer.wpe.weight"][positions]
        new_cache = []
        for i in range(self.layers):
            p = f"transformer.h.{i}."
            h = F.layer_norm(x, x.shape[-1:], w[p + "ln_1.weight"], w[p + "ln_1.bias"], self.eps)
            q, k, v = torch.addmm(w[p + "attn.c_attn.bias"], h.reshape(-1, h.shape[-1]), w[p + "attn.c_attn.weight"]).view(*h.shape[:2], -1).split(x.shape[-1], dim=-1)
            q, k, v = (t.view(*t.shape[:2], self.n_head, -1).transpose(1, 2) for t in (q, k, v))
            if cache:
                k = torch.cat([cache[i][0], k], dim=2)
                v = torch.cat([cache[i][1], v], dim=2)
            new_cache.append((k, v))
            # Causal mask only while reading the prompt; a single new token may see everything.
            attn = F.scaled_dot_product_attention(q, k, v, is_causal=q.shape[2] > 1 and not cache)
            attn = attn.transpose(1, 2).reshape(h.shape)
            x = x + torch.addmm(w[p + "attn.c_proj.bias"], attn.reshape(-1, attn.shape[-1]), w[p + "attn.c_proj.weight"]).view(h.shape)
            h = F.layer_norm(x, x.shape[-1:], w[p + "ln_2.weight"], w[p + "ln_2.bias"], self.eps)
            h = torch.addmm(w[p + "mlp.c_fc.bias"], h.reshape(-1, h.shape[-1]), w[p + "mlp.c_fc.weight"])
            h = _activate(h, self.activation)
            x = x + torch.addmm(w[p + "mlp.c_proj.bias"], h, w[p + "mlp.c_proj.weight"]).view(x.shape)
        x = F.layer_norm(x, x.shape[-1:], w["transformer.ln_f.weight"], w["transformer.ln_f.bias"], self.eps)
        return Output(logits=x @ self.lm_head.T, cache=new_cache)


def _activate(h, name: str):
    import torch
    import torch.nn.functional as F

    if name in ("gelu_new", "gelu_pytorch_tanh"):
        return F.gelu(h, approximate="tanh")
    if name == "gelu":
        return F.gelu(h)
    return torch.relu(h)


class _Config:
    """Attribute access to config.json, as `model.config.n_positions` reads it."""

    def __init__(self, data: dict):
        self.__dict__.update(data)


def load(folder: Path):
    """(model, tokenizer) for a folder `can_load` accepted."""
    return GPT2.load(folder), FastTokenizer(folder)


__all__ = ["can_load", "load", "GPT2", "FastTokenizer"]
