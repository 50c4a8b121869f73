"""PNG text chunks that make every image reproducible.

Two entries: `parameters`, in the AUTOMATIC1111 web UI's format (so other tools show the prompt
and settings; an expansion also names its short prompt as `Raw prompt`, which Fooocus and SD Prompt
Reader read), and `promptkit`, a JSON object holding everything `promptkit reproduce` needs. No
chunk is named `prompt`: readers take that one for a ComfyUI graph.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ..core.errors import InputError
from .schedulers import SCHEDULERS

PARAMETERS_KEY = "parameters"
PROMPTKIT_KEY = "promptkit"
SCHEMA_VERSION = 1

# promptkit scheduler name -> the A1111 "Sampler" label for the same algorithm.
A1111_SAMPLERS = {name: choice.a1111 for name, choice in SCHEDULERS.items()}


@dataclass(frozen=True)
class ImageMetadata:
    """What produced one image. `batch` lists (prompt, seed) of every image rendered in the same
    pipeline call (empty when the image was rendered alone): batched and single renders can differ
    by a pixel level, so reproducing exactly means rendering the same batch again."""

    prompt: str
    seed: int
    steps: int
    guidance: float
    width: int
    height: int
    scheduler: str
    model: str
    negative: str = ""
    backend: str = "diffusers"
    dtype: str = "float32"
    random_weights: bool = False
    original_prompt: str | None = None  # set when `prompt` is an expansion of a short prompt
    added: tuple[str, ...] = ()  # the modifiers the expansion added
    expansion_model: str | None = None
    batch: tuple[tuple[str, int], ...] = ()
    batch_index: int = 0
    promptkit_version: str = field(default_factory=lambda: _version())

    def to_dict(self) -> dict:
        data = asdict(self)
        data["added"] = list(self.added)
        data["batch"] = [{"prompt": p, "seed": s} for p, s in self.batch]
        data["schema"] = SCHEMA_VERSION
        return data

    @classmethod
    def from_dict(cls, data: dict) -> ImageMetadata:
        """Metadata from its JSON, every field checked (`check_metadata`): an image is untrusted input."""
        if not isinstance(data, dict):
            raise _damaged("the chunk", "not a JSON object")
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        for name in ("prompt", "seed", "steps", "guidance", "width", "height", "scheduler", "model"):
            if name not in values:
                raise _damaged(name, "missing")
        added, batch = values.get("added") or (), values.get("batch") or ()
        if not isinstance(added, (list, tuple)) or not all(isinstance(a, str) for a in added):
            raise _damaged("added", "not a list of modifiers")
        if not isinstance(batch, (list, tuple)) or not all(isinstance(b, dict) and isinstance(b.get("prompt"), str) for b in batch):
            raise _damaged("batch", "not a list of prompts and seeds")
        values["added"] = tuple(added)
        values["batch"] = tuple((b["prompt"], b.get("seed")) for b in batch)
        return check_metadata(cls(**values))

    def a1111_parameters(self) -> str:
        """The A1111 `parameters` text: prompt, optional negative line, then one line of settings."""
        sampler = A1111_SAMPLERS.get(self.scheduler, self.scheduler)
        settings = [
            f"Steps: {self.steps}", f"Sampler: {sampler}", f"CFG scale: {self.guidance:g}", f"Seed: {self.seed}",
            f"Size: {self.width}x{self.height}", f"Model: {_a1111_value(self.model)}",
        ]
        if self.original_prompt:
            settings.append(f"Raw prompt: {_a1111_value(self.original_prompt)}")
        if self.random_weights:
            settings.append("Note: random weights (test pipeline)")
        settings.append(f"Version: promptkit {self.promptkit_version}")
        lines = [self.prompt]
        if self.negative:
            lines.append(f"Negative prompt: {self.negative}")
        lines.append(", ".join(settings))
        return "\n".join(lines)


MAX_BATCH = 64  # images re-rendered in one call to reproduce a batched original (render's seed limit)


def _damaged(name: str, why: str) -> InputError:
    return InputError(f"damaged promptkit metadata: {name} ({why}); this image cannot be reproduced")


def _check_prompt(name: str, value: Any, optional: bool = False) -> None:
    from ..core.text import MAX_PROMPT_CHARS

    if value is None and optional:
        return
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_PROMPT_CHARS:
        raise _damaged(name, f"not a prompt of 1 to {MAX_PROMPT_CHARS:,} characters")


def _check_seed(name: str, value: Any) -> None:
    from ..core.seeds import MAX_SEED

    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
        raise _damaged(name, f"not a whole number from 0 to {MAX_SEED}")


def check_metadata(meta: ImageMetadata) -> ImageMetadata:
    """`meta` if every field is within what `render` accepts (prompt length, seed, steps, size, batch), else
    a one-line "damaged promptkit metadata: FIELD" error: metadata comes from files anyone can write."""
    from .settings import RenderSettings

    _check_prompt("prompt", meta.prompt)
    _check_prompt("original_prompt", meta.original_prompt, optional=True)
    _check_seed("seed", meta.seed)
    for name in ("steps", "guidance", "width", "height", "negative", "scheduler"):
        try:
            RenderSettings(**{name: getattr(meta, name)})
        except InputError:
            raise _damaged(name, f"{getattr(meta, name)!r} is outside what render accepts") from None
    for name in ("model", "backend", "dtype"):
        if not isinstance(getattr(meta, name), str) or not getattr(meta, name) or len(getattr(meta, name)) > 500:
            raise _damaged(name, "not a name")
    if meta.expansion_model is not None and not isinstance(meta.expansion_model, str):
        raise _damaged("expansion_model", "not a name")
    if len(meta.batch) > MAX_BATCH:
        raise _damaged("batch", f"{len(meta.batch):,} images, more than the {MAX_BATCH} reproduce renders at once")
    for prompt, seed in meta.batch:
        _check_prompt("batch", prompt)
        _check_seed("batch", seed)
    if isinstance(meta.batch_index, bool) or not isinstance(meta.batch_index, int) or not 0 <= meta.batch_index < max(len(meta.batch), 1):
        raise _damaged("batch_index", f"{meta.batch_index!r} is not a position in the batch of {len(meta.batch)}")
    return meta


def _version() -> str:
    from ..core.version import __version__

    return __version__


def _a1111_value(text: str) -> str:
    # A1111 separates settings with ", "; quote a value that contains one (A1111 unquotes with json.loads).
    return json.dumps(text, ensure_ascii=False) if ("," in text or ":" in text or '"' in text) else text


def png_bytes(image, metadata: ImageMetadata) -> bytes:
    """The image encoded as PNG with both text chunks."""
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text(PARAMETERS_KEY, metadata.a1111_parameters())  # falls back to iTXt for non-Latin-1 prompts
    info.add_itxt(PROMPTKIT_KEY, json.dumps(metadata.to_dict(), ensure_ascii=False))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def read_png(path: str | Path):
    """(PIL image, ImageMetadata) from a PNG promptkit or an A1111-compatible tool wrote."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if path.is_dir():
        raise InputError(f"'{path}' is a folder; pass one PNG file written by promptkit render or compare")
    if not path.is_file():
        raise InputError(f"image '{path}' does not exist; pass a PNG written by promptkit render or compare")
    unreadable = f"'{path}' is not a readable image ({{}}); pass a PNG written by promptkit render or compare"
    try:
        with Image.open(path) as opened:
            # The header and the text chunks before the pixels are read first; the pixels are decoded
            # only once the metadata is valid and the header's size matches it (no decompression bomb).
            meta = _metadata(path, {k: v for k, v in opened.info.items() if isinstance(v, str)})
            if opened.size != (meta.width, meta.height):
                raise _damaged("width/height", f"the image is {opened.size[0]}x{opened.size[1]}, the metadata says {meta.width}x{meta.height}")
            opened.load()
            image = opened.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(unreadable.format(type(exc).__name__)) from None
    return image, meta


def _metadata(path: Path, text: dict[str, str]) -> ImageMetadata:
    if PROMPTKIT_KEY in text:
        try:
            data = json.loads(text[PROMPTKIT_KEY])
        except ValueError:
            raise _damaged("the chunk", "not JSON") from None
        return ImageMetadata.from_dict(data)
    if PARAMETERS_KEY in text:
        return check_metadata(parse_a1111(text[PARAMETERS_KEY], source=str(path)))
    raise InputError(
        f"'{path}' holds no generation metadata (no 'promptkit' or 'parameters' PNG text chunk); "
        "pass a PNG written by promptkit, unconverted and unstripped"
    )


# --- reading A1111 `parameters` text ---------------------------------------------------------

_SETTING = re.compile(r'\s*([\w ]+):\s*("(?:\\.|[^"\\])*"|[^,]*)(?:,|$)')
_SAMPLER_TO_SCHEDULER = {label: name for name, label in A1111_SAMPLERS.items()}


def _unquote(value: str) -> str:
    try:
        return json.loads(value) if value.startswith('"') else value
    except ValueError:
        return value.strip('"')


def parse_a1111(text: str, source: str = "image") -> ImageMetadata:
    """Settings from A1111 `parameters` text (the last line holds 'Steps: ..., Seed: ...')."""
    lines = text.strip().split("\n")
    if len(lines) < 2 or "Steps:" not in lines[-1]:
        raise InputError(f"'{source}' has a 'parameters' chunk without a settings line; it cannot be reproduced")
    settings: dict[str, Any] = {}
    for key, value in _SETTING.findall(lines[-1]):
        value = value.strip()
        settings[key.strip()] = _unquote(value)
    body = lines[:-1]
    negative = ""
    for i, line in enumerate(body):
        if line.startswith("Negative prompt:"):
            negative = "\n".join([line[len("Negative prompt:"):].strip(), *body[i + 1:]]).strip()
            body = body[:i]
            break
    try:
        width, height = (int(v) for v in settings["Size"].split("x"))
        from ..core import config

        return ImageMetadata(
            prompt="\n".join(body).strip(), negative=negative, seed=int(settings["Seed"]), steps=int(settings["Steps"]),
            guidance=float(settings.get("CFG scale", 7.5)), width=width, height=height,
            scheduler=_SAMPLER_TO_SCHEDULER.get(settings.get("Sampler", ""), "dpm++"),
            model=settings.get("Model") or config.default_render_model(),
            random_weights="random weights" in settings.get("Note", ""),
            original_prompt=settings.get("Raw prompt", "").strip() or None,
        )
    except (KeyError, ValueError) as exc:
        raise InputError(f"'{source}' has A1111 parameters without a usable {exc} setting; it cannot be reproduced") from None
