"""Load a GPT-2-family prompt model: the embedded default, a local folder, or a hub id."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..core import config
from ..core.errors import ModelLoadError, first_line
from ..core.hf import quiet_transformers


@dataclass
class PromptModel:
    """A causal LM and its tokenizer, the name it was loaded by, and which runtime runs it.

    `runtime` is "promptkit" (the light GPT-2 runtime in `gpt2_runtime`) or "transformers";
    `step` hides the difference from the sampler.
    """

    name: str
    model: object
    tokenizer: object
    runtime: str = "transformers"

    def step(self, input_ids, cache=None):
        """One forward pass: the logits of every position, and the key/value cache to continue from."""
        if self.runtime == "promptkit":
            output = self.model(input_ids, cache=cache)
        else:  # transformers 5 names the key/value cache `cache` on the way in and out
            output = self.model(input_ids=input_ids, cache=cache, use_cache=True)
        return output.logits, output.cache

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
            return PromptModel(name=display_name, model=model, tokenizer=tokenizer, runtime="promptkit")
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

    quiet_transformers()
    tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=local_only, trust_remote_code=False)
    model = AutoModelForCausalLM.from_pretrained(
        source, local_files_only=local_only, use_safetensors=True, trust_remote_code=False
    )
    model.eval()
    if tokenizer.eos_token_id is None:
        raise ModelLoadError(f"model '{display_name}' has a tokenizer without an end-of-text token; it cannot end an expansion")
    return PromptModel(name=display_name, model=model, tokenizer=tokenizer)
