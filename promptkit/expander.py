"""Load a GPT-2-family prompt model and expand prompts with seeded, batched sampling."""

from __future__ import annotations

import math
import random
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from . import config
from .errors import InputError, ModelLoadError, first_line
from .prompts import (
    CLIP_MAX_TOKENS,
    MAX_PROMPT_CHARS,
    Blocklist,
    already_in_prompt,
    clip_token_count,
    dedupe_modifiers,
    join_prompt,
    normalize_commas,
    normalize_modifier,
    normalize_whitespace,
    split_modifiers,
    trim_to_budget,
)
from .types import Expansion

MAX_VARIANTS = 64
MAX_SEED = 2**32 - 1
# Our BPE and CLIP split prompt text into about as many tokens; the margin covers the difference.
BUDGET_TOKEN_MARGIN = 12


@dataclass(frozen=True)
class ExpandSettings:
    """Sampling and clean-up settings for one expand call (the seed travels separately)."""

    n: int = 1
    temperature: float = 0.8
    top_k: int = 50
    top_p: float = 0.95
    max_new_tokens: int = 64
    clip_budget: int | None = CLIP_MAX_TOKENS  # None: do not trim
    max_retries: int = 3
    blocklist: Blocklist = field(default_factory=Blocklist)
    # Retrieval-augmented expansion: these modifiers (e.g. top suggestions) come first and the
    # model continues after them, so what it adds is steered by what similar prompts use.
    steer: tuple[str, ...] = ()
    # Reranking with the modifier ranker (promptkit/ranker.py). Each variant's candidates are its
    # own sampled modifiers and the ranker's top ones, ordered by log P(modifier | prompt) plus
    # seeded Gumbel noise of scale `rerank_temperature` (so variants differ); `own_bonus`
    # multiplies P for the variant's own modifiers, so the model's choices win close calls. A
    # variant keeps every candidate with P >= `min_probability`, at least `modifiers` and at most
    # `max_modifiers`: confident prompts get more modifiers, unclear ones fewer.
    # modifiers=0: the model's raw output, no reranking. Defaults chosen on hash buckets 10-19.
    modifiers: int = 4
    max_modifiers: int = 10
    min_probability: float = 0.06
    rerank_temperature: float = 0.4
    own_bonus: float = 4.0

    def validate(self) -> "ExpandSettings":
        if not 1 <= self.n <= MAX_VARIANTS:
            raise InputError(f"n must be between 1 and {MAX_VARIANTS}, got {self.n}; pass e.g. --n 4")
        if not self.temperature > 0:
            raise InputError(f"temperature must be greater than 0, got {self.temperature}; pass e.g. --temperature 0.8")
        if self.top_k < 0:
            raise InputError(f"top-k must be 0 (off) or positive, got {self.top_k}; pass e.g. --top-k 50")
        if not 0 < self.top_p <= 1:
            raise InputError(f"top-p must be in (0, 1], got {self.top_p}; pass e.g. --top-p 0.95")
        if self.max_new_tokens < 1:
            raise InputError(f"max new tokens must be at least 1, got {self.max_new_tokens}; pass e.g. --max-new-tokens 64")
        if self.clip_budget is not None and not 3 <= self.clip_budget <= CLIP_MAX_TOKENS:
            raise InputError(f"CLIP budget must be between 3 and {CLIP_MAX_TOKENS}, got {self.clip_budget}")
        if self.max_retries < 0:
            raise InputError(f"max retries must be 0 or more, got {self.max_retries}")
        if not 0 <= self.modifiers <= self.max_modifiers <= 32:
            raise InputError(f"modifiers must be between 0 (no reranking) and {min(self.max_modifiers, 32)}, got {self.modifiers}; pass e.g. --modifiers 4")
        if not 0 <= self.min_probability <= 1:
            raise InputError(f"minimum probability must be in [0, 1], got {self.min_probability}")
        if self.rerank_temperature < 0 or self.own_bonus <= 0:
            raise InputError("rerank temperature must be 0 or more and the own-modifier bonus positive")
        if isinstance(self.steer, str):
            raise InputError("steer must be a sequence of modifiers, not one string")
        return self


def validate_prompt(prompt: str, clip_budget: int | None = CLIP_MAX_TOKENS) -> str:
    """The prompt as it will be kept (outer whitespace stripped), or a one-line InputError."""
    if not isinstance(prompt, str):
        raise InputError(f"prompt must be text, got {type(prompt).__name__}")
    text = prompt.strip()
    if not text:
        raise InputError('prompt is empty; pass some text, e.g. promptkit expand "a cat on a rainbow"')
    if len(text) > MAX_PROMPT_CHARS:
        raise InputError(
            f"prompt is {len(text):,} characters, more than the {MAX_PROMPT_CHARS:,} allowed "
            f"(Stable Diffusion reads only {CLIP_MAX_TOKENS} CLIP tokens); shorten it"
        )
    if clip_budget is not None:
        tokens = clip_token_count(text)
        if tokens >= clip_budget:
            raise InputError(
                f"prompt already uses {tokens} of the {clip_budget} CLIP tokens Stable Diffusion reads, "
                "leaving no room to expand; shorten it or pass --no-budget"
            )
    return text


def resolve_seed(seed: int | None) -> int:
    if seed is None:
        return secrets.randbelow(MAX_SEED)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise InputError(f"seed must be an integer between 0 and {MAX_SEED}, got {seed!r}")
    return seed


# --- loading -------------------------------------------------------------------------------


@dataclass
class PromptModel:
    """A causal LM and its tokenizer, plus the name it was loaded by."""

    name: str
    model: object
    tokenizer: object

    @property
    def max_positions(self) -> int:
        cfg = self.model.config
        return int(getattr(cfg, "n_positions", None) or getattr(cfg, "max_position_embeddings", 1024))



def load_prompt_model(name: str | Path | None = None, trainable: bool = False) -> PromptModel:
    """Load from the embedded default ("embedded"), a local folder, or a Hugging Face hub id.

    Plain GPT-2 folders load into promptkit's light inference runtime (no transformers import,
    about half the cold start); `trainable=True` always returns a transformers model.
    """
    name = str(name) if name is not None else config.default_model()
    if name == config.EMBEDDED:
        folder = config.embedded_model_path()
        if not folder.is_dir():
            raise ModelLoadError(
                f"the embedded prompt model is missing ({folder}); reinstall promptkit or pass --model FOLDER"
            )
        return _load_folder(folder, display_name=config.EMBEDDED, trainable=trainable)
    path = Path(name).expanduser()
    if path.exists():
        return _load_folder(path, display_name=name, trainable=trainable)
    if config.looks_like_path(name):
        raise ModelLoadError(f"model folder '{name}' does not exist; pass an existing folder or a hub id with --model")
    return _load_hub(name)


def _load_folder(folder: Path, display_name: str, trainable: bool = False) -> PromptModel:
    if not folder.is_dir():
        raise ModelLoadError(f"model path '{display_name}' is not a folder; pass a folder with config.json, tokenizer files and model.safetensors")
    if not (folder / "config.json").is_file():
        raise ModelLoadError(f"model folder '{display_name}' has no config.json; pass a folder written by `promptkit train` or save_pretrained")
    if not any(folder.glob("*.safetensors")):
        raise ModelLoadError(
            f"model folder '{display_name}' has no .safetensors weights (only safetensors are loaded, never pickles); "
            "convert it with save_pretrained(safe_serialization=True)"
        )
    try:
        from . import gpt2_runtime

        if not trainable and gpt2_runtime.can_load(folder):
            model, tokenizer = gpt2_runtime.load(folder)
            if tokenizer.eos_token_id is None:
                raise ModelLoadError(f"model '{display_name}' has a tokenizer without an end-of-text token; it cannot end an expansion")
            return PromptModel(name=display_name, model=model, tokenizer=tokenizer)
        return _from_pretrained(str(folder), display_name, local_only=True)
    except ModelLoadError:
        raise
    except Exception as exc:  # corrupt weights, bad config, missing tokenizer: one line, with the cause
        raise ModelLoadError(
            f"model folder '{display_name}' is broken ({first_line(exc)}); retrain it with `promptkit train` or pass another --model"
        ) from None


def _load_hub(hub_id: str) -> PromptModel:
    try:
        return _from_pretrained(hub_id, hub_id, local_only=False)
    except Exception as exc:
        raise ModelLoadError(
            f"could not load '{hub_id}' from the Hugging Face Hub ({first_line(exc)}); "
            "offline, pass a local folder instead: --model ./my-prompt-model"
        ) from None


def _from_pretrained(source: str, display_name: str, local_only: bool) -> PromptModel:
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=local_only, trust_remote_code=False)
    model = AutoModelForCausalLM.from_pretrained(
        source, local_files_only=local_only, use_safetensors=True, trust_remote_code=False
    )
    model.eval()
    if tokenizer.eos_token_id is None:
        raise ModelLoadError(f"model '{display_name}' has a tokenizer without an end-of-text token; it cannot end an expansion")
    return PromptModel(name=display_name, model=model, tokenizer=tokenizer)



# --- expansion -----------------------------------------------------------------------------


class Expander:
    """Expands prompts with one loaded prompt model; reuse it to avoid reloading."""

    def __init__(self, prompt_model: PromptModel, ranker=None):
        self.prompt_model = prompt_model
        self._ranker = ranker

    @property
    def ranker(self):
        """The modifier ranker used for reranking: the one given, else the shipped one (loaded once)."""
        if self._ranker is None:
            from .ranker import get_ranker

            self._ranker = get_ranker()
        return self._ranker

    @classmethod
    def load(cls, name: str | Path | None = None) -> "Expander":
        return cls(load_prompt_model(name))

    @property
    def name(self) -> str:
        return self.prompt_model.name

    def expand(self, prompt: str, seed: int | None = None, settings: ExpandSettings | None = None) -> list[Expansion]:
        """`settings.n` expansions of `prompt`; the same prompt, seed and settings give the same texts."""
        settings = (settings or ExpandSettings()).validate()
        prompt = validate_prompt(prompt, settings.clip_budget)
        seed = resolve_seed(seed)
        steer = self._steer(prompt, settings)
        context = join_prompt(prompt, steer)
        pool = self._ranker_pool(prompt, settings)
        results: list[Expansion | None] = [None] * settings.n
        pending = list(range(settings.n))
        for attempt in range(settings.max_retries + 1):
            # A retry re-samples only the empty variants, from a seed derived from the call's seed.
            attempt_seed = (seed + attempt * 1_000_003) % (MAX_SEED + 1)
            continuations = self._generate(context, len(pending), attempt_seed, settings)
            still_empty = []
            for index, (text, finished) in zip(pending, continuations):
                expansion = self._clean(prompt, text, finished, seed, index, settings, steer, pool)
                results[index] = expansion
                if not expansion.added:
                    still_empty.append(index)
            pending = still_empty
            if not pending:
                break
        return [r for r in results if r is not None]

    @staticmethod
    def _steer(prompt: str, settings: ExpandSettings) -> list[str]:
        """The steering modifiers that are new, allowed, and leave room in the CLIP budget."""
        allowed = [m for m in settings.steer if not settings.blocklist.matches(m)]
        fresh = dedupe_modifiers(allowed, existing=split_modifiers(prompt))
        if settings.clip_budget is None:
            return fresh
        # Keep a few tokens free for the model's own additions.
        return trim_to_budget(prompt, fresh, max(clip_token_count(prompt) + 1, settings.clip_budget - 8))

    def _generate(self, prompt: str, count: int, seed: int, settings: ExpandSettings) -> list[tuple[str, bool]]:
        """`count` sampled continuations from one batched sampling loop, and whether each ended on its own."""
        import torch

        tokenizer = self.prompt_model.tokenizer
        model = self.prompt_model.model
        # End the prompt with a comma so the model starts a fresh modifier.
        context = prompt if prompt.endswith(",") else prompt + ","
        prefix = [tokenizer.bos_token_id] if tokenizer.bos_token_id is not None else []
        ids = prefix + tokenizer(context, add_special_tokens=False).input_ids
        max_new = settings.max_new_tokens
        room = 0
        if settings.clip_budget is not None:
            room = settings.clip_budget - clip_token_count(prompt)
            max_new = min(max_new, room + BUDGET_TOKEN_MARGIN)
        max_new = min(max_new, self.prompt_model.max_positions - len(ids))
        if max_new < 1:
            raise InputError("prompt fills the prompt model's whole context; shorten it")
        stop = _ClipBudgetStop(tokenizer, room) if settings.clip_budget is not None else None
        generator = torch.Generator().manual_seed(seed)
        rows = _sample(model, ids, count, max_new, tokenizer.eos_token_id, settings, generator, stop)
        return [(tokenizer.decode(row, skip_special_tokens=True), finished) for row, finished in rows]

    def _ranker_pool(self, prompt: str, settings: ExpandSettings) -> "RankerPool | None":
        """The ranker's probabilities for this prompt and its top candidates (None without reranking)."""
        if not settings.modifiers:
            return None
        ranker = self.ranker
        probs = ranker.probabilities(prompt)
        present = already_in_prompt(prompt)
        top = [m for m, _ in ranker.ranked(probs, 4 * settings.max_modifiers) if not present(m) and not settings.blocklist.matches(m)]
        floor = float(probs.min())  # a modifier the ranker does not know is at most as likely as its least likely
        return RankerPool(top=top, probability=lambda m: float(probs[ranker.positions[m]]) if m in ranker.positions else floor)

    def _clean(self, prompt: str, text: str, finished: bool, seed: int, index: int, settings: ExpandSettings,
               steer: Sequence[str] = (), pool: "RankerPool | None" = None) -> Expansion:
        modifiers = clean_modifiers(text, finished)
        allowed = [m for m in modifiers if not settings.blocklist.matches(m)]
        blocked = len(modifiers) - len(allowed)
        added = dedupe_modifiers([*steer, *allowed], existing=split_modifiers(prompt))
        if pool is not None:
            rng = random.Random(f"{seed}:{index}")
            kept_steer = added[: len(steer)]
            existing = [*split_modifiers(prompt), *kept_steer]
            added = [*kept_steer, *choose_modifiers(added[len(steer):], pool, settings, rng, existing, reserved=len(steer))]
        kept = trim_to_budget(prompt, added, settings.clip_budget) if settings.clip_budget else added
        expanded = join_prompt(prompt, kept)
        return Expansion(
            prompt=prompt,
            expanded=expanded,
            added=tuple(kept),
            seed=seed,
            model=self.name,
            clip_tokens=clip_token_count(expanded),
            index=index,
            clip_budget=settings.clip_budget,
            trimmed=len(added) - len(kept),
            blocked=blocked,
        )


@dataclass(frozen=True)
class RankerPool:
    top: list[str]  # the ranker's most probable modifiers for the prompt (new and allowed ones)
    probability: Callable[[str], float]  # modifier key -> P(modifier in the full prompt)


def choose_modifiers(own: Sequence[str], pool: RankerPool, settings: ExpandSettings, rng: random.Random,
                     existing: Sequence[str] = (), reserved: int = 0) -> list[str]:
    """The kept candidates (the variant's own modifiers, then the ranker's), in that order.

    Candidates are ordered by log P (times `own_bonus` for own ones) plus Gumbel noise of scale
    `rerank_temperature`, which samples without replacement in proportion to P ** (1 / temperature).
    Kept: those with P >= `min_probability`, at least `modifiers` and at most `max_modifiers`
    (minus `reserved` places already taken by steering modifiers). Modifiers in `existing` (the
    prompt's own phrases, steering modifiers) are never candidates.
    """
    candidates = dedupe_modifiers([*own, *pool.top], existing=existing)
    own_keys = {normalize_modifier(m) for m in own}
    probability, keys = {}, {}
    for modifier in candidates:
        key = normalize_modifier(modifier)
        probability[modifier] = pool.probability(key) * (settings.own_bonus if key in own_keys else 1.0)
        noise = -math.log(-math.log(rng.random() or 1e-12)) if settings.rerank_temperature else 0.0
        keys[modifier] = math.log(max(probability[modifier], 1e-12)) + settings.rerank_temperature * noise
    ordered = sorted(candidates, key=lambda m: -keys[m])
    least, most = max(0, settings.modifiers - reserved), max(0, settings.max_modifiers - reserved)
    confident = [m for m in ordered if probability[m] >= settings.min_probability]
    chosen = set((confident if len(confident) >= least else ordered)[: max(least, min(len(confident), most))])
    return [m for m in candidates if m in chosen]


def _sample(model, ids: list[int], count: int, max_new: int, eos: int, settings: ExpandSettings, generator, stop) -> list[tuple[list[int], bool]]:
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
        output = model(input_ids=torch.tensor([ids] * count, dtype=torch.long), use_cache=True)
        for _ in range(max_new):
            cache = getattr(output, "cache", None) or getattr(output, "past_key_values", None)
            tokens = _pick_tokens(output.logits[:, -1, :], settings, generator)
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
            output = model(input_ids=torch.tensor(tokens, dtype=torch.long)[:, None], cache=cache, use_cache=True)
    return list(zip(rows, finished))


def _pick_tokens(logits, settings: ExpandSettings, generator) -> list[int]:
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


class _ClipBudgetStop:
    """Tells when a continuation alone overflows the CLIP room the prompt leaves.

    Whatever is generated past that point would be trimmed anyway; stopping there saves the
    tokens (the overflowing last modifier is dropped as unfinished).
    """

    def __init__(self, tokenizer, room: int):
        self.tokenizer, self.room = tokenizer, room

    def overflows(self, row: list[int]) -> bool:
        return clip_token_count(self.tokenizer.decode(row, skip_special_tokens=True)) - 2 > self.room


def clean_modifiers(continuation: str, finished: bool = True) -> list[str]:
    """Modifier phrases from generated text; an unfinished last phrase (cut by the token limit) is dropped."""
    text = normalize_whitespace(continuation)
    phrases = [normalize_commas(p) for p in split_modifiers(text)]
    if not finished and phrases and not text.rstrip().endswith(","):
        phrases = phrases[:-1]
    return [p for p in phrases if p]


# --- module-level API with one cached model --------------------------------------------------

_EXPANDERS: dict[str, Expander] = {}


def get_expander(model: str | Path | None = None) -> Expander:
    key = str(model) if model is not None else config.default_model()
    if key not in _EXPANDERS:
        _EXPANDERS[key] = Expander.load(key)
    return _EXPANDERS[key]


def expand(
    prompt: str,
    n: int = 1,
    seed: int | None = None,
    *,
    model: str | Path | None = None,
    temperature: float = ExpandSettings.temperature,
    top_k: int = ExpandSettings.top_k,
    top_p: float = ExpandSettings.top_p,
    max_new_tokens: int = ExpandSettings.max_new_tokens,
    modifiers: int = ExpandSettings.modifiers,
    rerank_temperature: float = ExpandSettings.rerank_temperature,
    clip_budget: int | None = CLIP_MAX_TOKENS,
    blocklist: Blocklist | None = None,
    suggest: int = 0,
    index: str | None = None,
) -> list[Expansion]:
    """Expand `prompt` into `n` detailed variants (the prompt kept verbatim at the start of each).

    Each variant keeps at least `modifiers` (and at most 10) of its own sampled modifiers and the
    modifier ranker's top ones: those the ranker finds likely, chosen with seeded noise of scale
    `rerank_temperature` (see `ExpandSettings`); `modifiers=0` returns the prompt model's raw output.
    `suggest=k` > 0: retrieval-augmented expansion; the top k modifier suggestions (from `index`,
    default the most recent one, else the shipped lexicon) come first and steer the model.
    """
    settings = ExpandSettings(
        n=n, temperature=temperature, top_k=top_k, top_p=top_p, max_new_tokens=max_new_tokens,
        modifiers=modifiers, rerank_temperature=rerank_temperature, clip_budget=clip_budget, blocklist=blocklist or Blocklist(),
    ).validate()
    expander = get_expander(model)
    if suggest:
        from .suggestions import SuggestExpander, get_suggester

        expander = SuggestExpander(expander, get_suggester(index), suggest)
    return expander.expand(prompt, seed=seed, settings=settings)


__all__ = ["Expander", "ExpandSettings", "PromptModel", "load_prompt_model", "expand", "get_expander", "clean_modifiers"]
