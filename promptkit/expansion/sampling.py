"""Seeded, batched sampling of continuations with a KV cache."""

from __future__ import annotations

from ..core.text import clip_token_count
from .model import PromptModel
from .settings import ExpandSettings


def sample(model: PromptModel, ids: list[int], count: int, max_new: int, eos: int, settings: ExpandSettings, generator,
           stop) -> list[tuple[list[int], bool]]:
    """`count` continuations of `ids` sampled together, with a KV cache and a seeded generator.

    One batched forward pass a step for all variants. Sampling draws from the top-k tokens only
    (then top-p within them), which is the same distribution as filtering the whole vocabulary
    but avoids a full-vocabulary multinomial every step. Returns each row's new tokens and
    whether it ended with end-of-text (rather than the token limit or the CLIP budget).
    """
    import torch

    rows: list[list[int]] = [[] for _ in range(count)]
    finished = [False] * count
    alive = set(range(count))
    with torch.inference_mode():
        logits, cache = model.step(torch.tensor([ids] * count, dtype=torch.long))
        for _ in range(max_new):
            tokens = pick_tokens(logits[:, -1, :], settings, generator)
            for i in list(alive):
                if tokens[i] == eos:
                    finished[i] = True
                    alive.discard(i)
                    continue
                rows[i].append(tokens[i])
                if stop is not None and stop.overflows(rows[i]):
                    alive.discard(i)
            if not alive:
                break
            logits, cache = model.step(torch.tensor(tokens, dtype=torch.long)[:, None], cache)
    return list(zip(rows, finished))


def pick_tokens(logits, settings: ExpandSettings, generator) -> list[int]:
    """Temperature, then top-k, then top-p (nucleus) sampling; one token a row."""
    import torch

    logits = logits.float() / settings.temperature
    k = settings.top_k if 0 < settings.top_k < logits.shape[-1] else logits.shape[-1]
    values, indices = logits.topk(k, dim=-1)  # sorted, highest first
    probs = torch.softmax(values, dim=-1)
    if settings.top_p < 1.0:
        # Drop tokens once the mass before them already reaches top_p (the first always stays).
        probs = probs.masked_fill(probs.cumsum(-1) - probs >= settings.top_p, 0.0)
    choice = torch.multinomial(probs, 1, generator=generator)
    return indices.gather(-1, choice).squeeze(-1).tolist()


class ClipBudgetStop:
    """Tells when a continuation alone overflows the CLIP room the prompt leaves.

    Whatever is generated past that point would be trimmed anyway; stopping there saves the
    tokens (the overflowing last modifier is dropped as unfinished).
    """

    def __init__(self, tokenizer, room: int):
        self.tokenizer, self.room = tokenizer, room

    def overflows(self, row: list[int]) -> bool:
        return clip_token_count(self.tokenizer.decode(row, skip_special_tokens=True)) - 2 > self.room
