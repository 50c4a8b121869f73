"""Train or fine-tune a GPT-2 prompt model on prompt datasets.

Each training example is one line of prompt text between end-of-text tokens. Prompt-only data is
used as is; a short->long pair becomes "short, <modifiers of the long prompt>", which is exactly
the task the expander performs (keep the user's words, append modifiers).
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..core.datasets import PromptRecord, is_heldout, read_prompts
from ..core.errors import InputError
from ..core.files import Artifact, check_output_folder, replaced_folder
from ..core.hf import quiet_transformers
from ..core.text import Blocklist, normalize_commas, split_prompt
from ..core.version import __version__

# Named from-scratch sizes: (layers, width, heads, context, BPE vocabulary).
MODEL_SIZES = {
    "micro": (2, 64, 2, 128, 1024),  # tests and smoke runs
    "tiny": (4, 256, 8, 128, 8192),  # the shipped default (~5.3M parameters, ~21 MB)
    "small": (6, 384, 6, 128, 16384),
}
END_OF_TEXT = "<|endoftext|>"
PROMPT_MODEL = Artifact("prompt model", "training.json", ("promptkit_version", "config"))


@dataclass
class TrainConfig:
    sources: Sequence[str]
    out: Path
    base: str | None = None  # None: from scratch; else "embedded", a folder or a hub id
    size: str = "tiny"
    epochs: float = 4.0
    batch_size: int = 32
    learning_rate: float | None = None  # default: 1e-3 from scratch, 1e-4 fine-tuning
    val_percent: float = 10.0
    seed: int = 0
    max_length: int = 96
    min_modifiers: int = 2
    bf16: bool = True
    max_rows: int | None = None
    card_extra: str = ""  # markdown appended to the model card (sources' licences, attribution)
    command: str = ""  # the command line, recorded in the card
    force: bool = False  # replace an existing `out` even when it is not a prompt model of ours

    def __post_init__(self) -> None:
        if not self.sources:
            raise InputError("no training data given; pass at least one dataset file or hub id")
        if self.base is None and self.size not in MODEL_SIZES:
            raise InputError(f"unknown model size '{self.size}'; use one of {', '.join(MODEL_SIZES)}")
        if self.epochs <= 0:
            raise InputError(f"epochs must be positive, got {self.epochs}")
        if self.batch_size < 1:
            raise InputError(f"batch size must be at least 1, got {self.batch_size}")
        if not 0 <= self.val_percent < 100:
            raise InputError(f"validation percent must be in [0, 100), got {self.val_percent}")
        self.out = check_output_folder(self.out, PROMPT_MODEL, self.force)


@dataclass
class TrainResult:
    out: Path
    train_examples: int
    val_examples: int
    train_tokens: int
    parameters: int
    val_loss: float | None
    history: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        data = asdict(self)
        data["out"] = str(self.out)
        return data


ProgressFn = Callable[[str, int, int, dict], None]  # (phase, done, total, figures)


def training_text(record: PromptRecord) -> str:
    """The line the model learns from one record."""
    if record.short:
        modifiers = split_prompt(record.prompt).modifiers
        return normalize_commas(", ".join([record.short, *modifiers]))
    return normalize_commas(record.prompt)


def prepare_examples(config: TrainConfig) -> tuple[list[str], list[str], dict]:
    """Training and validation lines, split by a stable hash; blocklisted and modifier-less rows dropped."""
    blocklist = Blocklist()
    train, val = [], []
    stats = {"sources": {}, "dropped_blocklist": 0, "dropped_few_modifiers": 0, "dropped_duplicate": 0}
    seen = set()
    for source in config.sources:
        records = read_prompts(source)
        if config.max_rows:
            records = records[: config.max_rows]
        stats["sources"][str(source)] = len(records)
        for record in records:
            text = training_text(record)
            if blocklist.matches(text) or (record.short and blocklist.matches(record.short)):
                stats["dropped_blocklist"] += 1
                continue
            if len(split_prompt(text).modifiers) < config.min_modifiers:
                stats["dropped_few_modifiers"] += 1
                continue
            if text.lower() in seen:
                stats["dropped_duplicate"] += 1
                continue
            seen.add(text.lower())
            (val if is_heldout(record, config.val_percent) else train).append(text)
    if not train:
        raise InputError("no usable training examples after cleaning; pass more data or lower --min-modifiers")
    return train, val, stats


def train(config: TrainConfig, progress: ProgressFn | None = None) -> TrainResult:
    """Train, then write config, tokenizer, model.safetensors, training.json and README.md to `config.out`.

    The folder is written under a temporary name and renamed at the end: an interrupted run
    leaves any previous model at `config.out` untouched.
    """
    import torch

    quiet_transformers()

    progress = progress or (lambda *args: None)
    started = time.perf_counter()
    random.seed(config.seed)
    torch.manual_seed(config.seed)
    train_texts, val_texts, data_stats = prepare_examples(config)
    model, tokenizer = _initial_model(config, train_texts)
    train_ids = _encode(tokenizer, train_texts, config.max_length)
    val_ids = _encode(tokenizer, val_texts, config.max_length)
    train_tokens = sum(len(x) for x in train_ids)

    lr = config.learning_rate or (1e-3 if config.base is None else 1e-4)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01, betas=(0.9, 0.98))
    steps_per_epoch = math.ceil(len(train_ids) / config.batch_size)
    total_steps = max(1, int(steps_per_epoch * config.epochs))
    warmup = max(1, total_steps // 20)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(1.0, s / total_steps)))
    )
    pad = tokenizer.eos_token_id
    rng = random.Random(config.seed)
    history: list[dict] = []
    step = 0
    model.train()
    while step < total_steps:
        epoch = step // steps_per_epoch
        for batch in _batches(train_ids, config.batch_size, rng):
            if step >= total_steps:
                break
            input_ids, labels, mask = _collate(batch, pad)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=config.bf16 and input_ids.device.type == "cpu"):
                loss = model(input_ids=input_ids, attention_mask=mask, labels=labels).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            progress("train", step, total_steps, {"loss": loss.item(), "epoch": epoch + 1})
        val_loss = _validation_loss(model, val_ids, pad, config)
        history.append({"epoch": epoch + 1, "step": step, "train_loss": loss.item(), "val_loss": val_loss})
        progress("epoch", epoch + 1, math.ceil(config.epochs), history[-1])

    result = TrainResult(
        out=Path(config.out), train_examples=len(train_ids), val_examples=len(val_ids), train_tokens=train_tokens,
        parameters=sum(p.numel() for p in model.parameters()), val_loss=history[-1]["val_loss"] if history else None,
        history=history, seconds=time.perf_counter() - started,
    )
    _save_atomically(model, tokenizer, config, result, data_stats)
    return result


def _initial_model(config: TrainConfig, texts: list[str]):
    from transformers import GPT2Config, GPT2LMHeadModel

    if config.base is not None:
        from ..expansion.expander import load_prompt_model

        loaded = load_prompt_model(config.base, trainable=True)
        tokenizer = loaded.tokenizer
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        return loaded.model, tokenizer
    layers, width, heads, context, vocab = MODEL_SIZES[config.size]
    tokenizer = train_tokenizer(texts, vocab)
    gpt2_config = GPT2Config(
        vocab_size=len(tokenizer), n_positions=context, n_embd=width, n_layer=layers, n_head=heads,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
    )
    return GPT2LMHeadModel(gpt2_config), tokenizer


def train_tokenizer(texts: Sequence[str], vocab_size: int):
    """A byte-level BPE tokenizer (GPT-2 style) trained on the prompts themselves."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import GPT2TokenizerFast

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(texts, vocab_size=vocab_size, min_frequency=2, special_tokens=[END_OF_TEXT], show_progress=False)
    return GPT2TokenizerFast(
        tokenizer_object=bpe._tokenizer, bos_token=END_OF_TEXT, eos_token=END_OF_TEXT, unk_token=END_OF_TEXT,
        pad_token=END_OF_TEXT,
    )


def _encode(tokenizer, texts: list[str], max_length: int) -> list[list[int]]:
    bos = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
    eos = tokenizer.eos_token_id
    encoded = tokenizer(texts, add_special_tokens=False).input_ids if texts else []
    return [([bos] + ids)[: max_length - 1] + [eos] for ids in encoded]


def _batches(examples: list[list[int]], batch_size: int, rng: random.Random):
    """Shuffled batches of similar length (less padding), in a seeded order."""
    order = list(range(len(examples)))
    rng.shuffle(order)
    chunk = batch_size * 50
    batches = []
    for start in range(0, len(order), chunk):
        group = sorted(order[start : start + chunk], key=lambda i: len(examples[i]))
        batches += [group[i : i + batch_size] for i in range(0, len(group), batch_size)]
    rng.shuffle(batches)
    for batch in batches:
        yield [examples[i] for i in batch]


def _collate(batch: list[list[int]], pad: int):
    import torch

    width = max(len(x) for x in batch)
    input_ids = torch.full((len(batch), width), pad, dtype=torch.long)
    labels = torch.full((len(batch), width), -100, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, ids in enumerate(batch):
        input_ids[row, : len(ids)] = torch.tensor(ids)
        labels[row, : len(ids)] = torch.tensor(ids)
        mask[row, : len(ids)] = 1
    return input_ids, labels, mask


def _validation_loss(model, val_ids: list[list[int]], pad: int, config: TrainConfig) -> float | None:
    """Mean per-token cross-entropy on the held-out examples."""
    import torch

    if not val_ids:
        return None
    model.eval()
    total, count = 0.0, 0
    with torch.inference_mode():
        for start in range(0, len(val_ids), 64):
            input_ids, labels, mask = _collate(val_ids[start : start + 64], pad)
            logits = model(input_ids=input_ids, attention_mask=mask).logits[:, :-1].float()
            target = labels[:, 1:]
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), target.reshape(-1), ignore_index=-100, reduction="sum")
            total += float(loss)
            count += int((target != -100).sum())
    model.train()
    return total / max(count, 1)


def _save_atomically(model, tokenizer, config: TrainConfig, result: TrainResult, data_stats: dict) -> None:
    with replaced_folder(config.out, artifact=PROMPT_MODEL, force=config.force) as tmp:
        model.eval()
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        meta = {"promptkit_version": __version__, "config": _config_dict(config), "data": data_stats, "result": result.to_dict()}
        (tmp / "training.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        (tmp / "README.md").write_text(model_card(config, result, data_stats), encoding="utf-8")


def _config_dict(config: TrainConfig) -> dict:
    data = asdict(config)
    data["out"] = str(config.out)
    data["sources"] = [str(s) for s in config.sources]
    data.pop("card_extra")
    data.pop("force")
    return data


def model_card(config: TrainConfig, result: TrainResult, data_stats: dict) -> str:
    origin = f"fine-tuned from `{config.base}`" if config.base else f"trained from scratch (size `{config.size}`, byte-level BPE trained on the data)"
    lines = [
        "# promptkit prompt model",
        "",
        f"A GPT-2 causal language model for expanding Stable Diffusion prompts, {origin}, with promptkit {__version__}.",
        "",
        "## Command",
        "",
        "```",
        config.command or "(called from Python)",
        "```",
        "",
        "## Data",
        "",
        "| source | rows read |",
        "|---|---|",
        *[f"| `{src}` | {n:,} |" for src, n in data_stats["sources"].items()],
        "",
        f"Examples: {result.train_examples:,} training, {result.val_examples:,} validation (stable hash split, "
        f"{config.val_percent:g}% held out), {result.train_tokens:,} training tokens. Dropped: "
        f"{data_stats['dropped_blocklist']:,} matching the default blocklist, {data_stats['dropped_few_modifiers']:,} "
        f"with fewer than {config.min_modifiers} modifiers, {data_stats['dropped_duplicate']:,} duplicates.",
        "",
        "## Training",
        "",
        f"{result.parameters:,} parameters; {config.epochs:g} epochs, batch {config.batch_size}, seed {config.seed}, "
        f"bf16 autocast {'on' if config.bf16 else 'off'}; {result.seconds / 60:.1f} minutes.",
        "",
        "| epoch | train loss | validation loss |",
        "|---|---|---|",
        *[f"| {h['epoch']} | {h['train_loss']:.3f} | {h['val_loss']:.3f} |" if h["val_loss"] is not None else f"| {h['epoch']} | {h['train_loss']:.3f} | - |" for h in result.history],
        "",
    ]
    if config.card_extra:
        lines += [config.card_extra.strip(), ""]
    return "\n".join(lines)
