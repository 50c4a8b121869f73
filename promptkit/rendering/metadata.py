"""PNG text chunks that make every image reproducible.

Two entries: `parameters`, in the AUTOMATIC1111 web UI's format (so other tools show the prompt
and settings), and `promptkit`, a JSON object holding everything `promptkit reproduce` needs.
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
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["added"] = tuple(values.get("added") or ())
        values["batch"] = tuple((str(b["prompt"]), int(b["seed"])) for b in values.get("batch") or ())
        return cls(**values)

    def a1111_parameters(self) -> str:
        """The A1111 `parameters` text: prompt, optional negative line, then one line of settings."""
        sampler = A1111_SAMPLERS.get(self.scheduler, self.scheduler)
        settings = [
            f"Steps: {self.steps}", f"Sampler: {sampler}", f"CFG scale: {self.guidance:g}", f"Seed: {self.seed}",
            f"Size: {self.width}x{self.height}", f"Model: {_a1111_value(self.model)}",
        ]
        if self.random_weights:
            settings.append("Note: random weights (test pipeline)")
        settings.append(f"Version: promptkit {self.promptkit_version}")
        lines = [self.prompt]
        if self.negative:
            lines.append(f"Negative prompt: {self.negative}")
        lines.append(", ".join(settings))
        return "\n".join(lines)


def _version() -> str:
    from ..core.version import __version__

    return __version__


def _a1111_value(text: str) -> str:
    # A1111 separates settings with ", "; quote a value that contains one.
    return json.dumps(text) if ("," in text or ":" in text or '"' in text) else text


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
    try:
        with Image.open(path) as opened:
            opened.load()
            text = dict(getattr(opened, "text", {}) or {})
            image = opened.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"'{path}' is not a readable image ({type(exc).__name__}); pass a PNG written by promptkit render or compare") from None
    if PROMPTKIT_KEY in text:
        try:
            return image, ImageMetadata.from_dict(json.loads(text[PROMPTKIT_KEY]))
        except (ValueError, TypeError, KeyError) as exc:
            raise InputError(f"'{path}' has a damaged promptkit metadata chunk ({type(exc).__name__}); render the image again") from None
    if PARAMETERS_KEY in text:
        return image, parse_a1111(text[PARAMETERS_KEY], source=str(path))
    raise InputError(
        f"'{path}' holds no generation metadata (no 'promptkit' or 'parameters' PNG text chunk); "
        "pass a PNG written by promptkit, unconverted and unstripped"
    )


# --- reading A1111 `parameters` text ---------------------------------------------------------

_SETTING = re.compile(r'\s*([\w ]+):\s*("(?:\\.|[^"\\])*"|[^,]*)(?:,|$)')
_SAMPLER_TO_SCHEDULER = {label: name for name, label in A1111_SAMPLERS.items()}


def parse_a1111(text: str, source: str = "image") -> ImageMetadata:
    """Settings from A1111 `parameters` text (the last line holds 'Steps: ..., Seed: ...')."""
    lines = text.strip().split("\n")
    if len(lines) < 2 or "Steps:" not in lines[-1]:
        raise InputError(f"'{source}' has a 'parameters' chunk without a settings line; it cannot be reproduced")
    settings: dict[str, Any] = {}
    for key, value in _SETTING.findall(lines[-1]):
        value = value.strip()
        settings[key.strip()] = json.loads(value) if value.startswith('"') else value
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
        )
    except (KeyError, ValueError) as exc:
        raise InputError(f"'{source}' has A1111 parameters without a usable {exc} setting; it cannot be reproduced") from None
