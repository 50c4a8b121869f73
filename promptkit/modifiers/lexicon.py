"""The modifier lexicon: categories of modifiers, and the shipped default `suggest` uses without an index.

The lexicon holds, per modifier: its category, how popular it is (prompt counts from public
statistics) and a "context" vector (the centred mean embedding of the prompts that use it). It
holds no prompt texts. `training.lexicon.build_lexicon` computes it from public data with the
project's own index builder; `promptkit index lexicon` is the command.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core import config
from ..core.errors import SearchIndexError, first_line
from ..core.text import normalize_modifier

CATEGORIES = ("medium", "style", "artist", "lighting", "colour", "camera", "quality", "other")
LEXICON_FORMAT = 1

# Keyword rules, tried in this order (the first match wins): "cinematic lighting" is lighting,
# "35mm photo" is camera, "highly detailed painting" is quality.
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple((name, re.compile(pattern)) for name, pattern in (
    ("artist", r"^(?:(?:art|artwork|painting|illustration|photo|photograph)\s+)?by\s+\S|^(?:in\s+)?(?:the\s+)?style\s+of\s+\S"),
    ("lighting", r"\b(?:light|lights|lighting|lit|glow|glowing|sunlight|moonlight|sunset|sunrise|golden hour|shadows?|volumetric|backlit|backlight|god rays|bloom|illumination|chiaroscuro|ray ?tracing|raytraced|dusk|dawn|twilight|luminous|neon)\b"),
    ("camera", r"\b(?:\d+\s?mm|lens|bokeh|depth of field|dof|f/\d|aperture|shutter|iso \d+|canon|nikon|sony|leica|fujifilm|hasselblad|kodak|portra|polaroid|dslr|camera|shot|close-?up|closeup|wide[- ]angle|telephoto|macro|fisheye|aerial|drone|full[- ]body|low angle|high angle|tilt[- ]shift|film grain|photoshoot|photo shoot|long exposure|establishing)\b"),
    ("colour", r"\b(?:colou?rs?|colou?red|colou?rful|vibrant|pastel|monochrom\w*|black and white|b&w|saturated|desaturated|palette|hues?|tones?|toned|red|blue|green|yellow|orange|purple|pink|teal|gold|golden|silver|cyan|magenta|sepia|muted|turquoise|crimson|violet)\b"),
    ("quality", r"\b(?:detailed|details?|\d+k|hd|hdr|uhd|high[- ]res\w*|resolution|high quality|best quality|masterpiece|sharp|focus|intricate|photo-?realistic|hyper-?realistic|hyperrealism|realistic|realism|award[- ]winning|trending|artstation|cgsociety|deviantart|behance|pixiv|featured|beautiful|stunning|professional|elegant|smooth|perfect|symmetr\w*|quality|ultra)\b"),
    ("medium", r"\b(?:painting|paintings|painted|photo|photograph|photography|render|rendered|rendering|illustration|sketch|drawing|drawn|watercolou?r|oil|canvas|acrylic|gouache|charcoal|pencil|ink|sculpture|statue|digital art|concept art|3d|cgi|octane|unreal engine|blender|vray|v-ray|redshift|cinema4d|c4d|zbrush|pixel art|vector|lithograph|engraving|etching|woodcut|poster|comic|mural|fresco|collage|tapestry|mosaic|artwork|matte|digital|screenprint|linocut|stained glass)\b"),
    ("style", r"\b(?:style|styled|art nouveau|art deco|baroque|rococo|renaissance|impressionis\w*|expressionis\w*|surreal\w*|cubis\w*|minimalis\w*|\w+punk|vaporwave|synthwave|fantasy|sci-?fi|science fiction|gothic|anime|manga|cartoon|pixar|disney|ghibli|ukiyo-?e|pop art|abstract|retro|vintage|futuristic|dystopian|utopian|noir|low ?poly|isometric|cel[- ]shad\w*|psychedelic|whimsical|ethereal|epic|cinematic|dramatic|moody|dreamy|dreamlike|cute|kawaii|chibi|horror|dark|mystical|magical|romantic\w*|symbolis\w*|realism|academic|modern|contemporary|brutalis\w*|atmospheric)\b"),
))
ARTICLE = re.compile(r"^(?:a|an|the)\s+")


@dataclass(frozen=True)
class Vocabularies:
    """Term lists that decide categories beyond the keyword rules (from clip-interrogator's banks)."""

    artists: frozenset[str] = frozenset()
    mediums: frozenset[str] = frozenset()
    movements: frozenset[str] = frozenset()


def categorize(modifier: str, vocab: Vocabularies = Vocabularies()) -> str:
    """The category of a modifier phrase: exact term lists first, then keyword rules, else "other"."""
    key = normalize_modifier(modifier)
    bare = ARTICLE.sub("", key)
    if key in vocab.artists or any(part in vocab.artists for part in re.split(r"\s+(?:and|&)\s+", key) if part != key):
        return "artist"
    if bare in vocab.mediums:
        return "medium"
    if bare in vocab.movements:
        return "style"
    for name, pattern in _RULES:
        if pattern.search(key):
            return name
    return "other"


# --- the loaded lexicon ----------------------------------------------------------------------


@dataclass
class Lexicon:
    """Modifiers with categories, popularity and vectors; see the module docstring."""

    path: Path
    meta: dict
    modifiers: list[str]
    categories: list[str]
    counts: np.ndarray  # prompts of the lexicon's corpus using each modifier
    popularity: np.ndarray  # estimated share of all prompts using each modifier
    context: np.ndarray  # (n, dim) unit vectors: centred mean embedding of prompts using it
    mean: np.ndarray  # (dim,) the corpus mean embedding that queries are centred by

    @property
    def embedder(self) -> str:
        return self.meta["embedder"]

    @functools.cached_property
    def positions(self) -> dict[str, int]:
        return {m: i for i, m in enumerate(self.modifiers)}

    def category(self, modifier: str) -> str:
        i = self.positions.get(modifier)
        return self.categories[i] if i is not None else categorize(modifier)

    def context_similarity(self, vector: np.ndarray) -> np.ndarray:
        """Cosine between the centred query and each modifier's context vector."""
        centred = np.asarray(vector, dtype=np.float32) - self.mean
        norm = float(np.linalg.norm(centred)) or 1.0
        return self.context @ (centred / norm)


def load_lexicon(path: Path | None = None) -> Lexicon:
    path = Path(path) if path is not None else config.lexicon_path()
    fix = "reinstall promptkit or rebuild it with `promptkit index lexicon`"
    try:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        rows = [json.loads(line) for line in (path / "modifiers.jsonl").read_text(encoding="utf-8").splitlines() if line]
        context = np.load(path / "context.npy").astype(np.float32)
    except FileNotFoundError:
        raise SearchIndexError(f"the modifier lexicon is missing ({path.name}); {fix}") from None
    except (OSError, ValueError, KeyError) as exc:
        raise SearchIndexError(f"the modifier lexicon is corrupted ({first_line(exc, 100)}); {fix}") from None
    if meta.get("format") != LEXICON_FORMAT or context.shape != (len(rows), meta.get("dim")):
        raise SearchIndexError(f"the modifier lexicon is corrupted (its files disagree with meta.json); {fix}")
    return Lexicon(
        path=path, meta=meta, modifiers=[r["modifier"] for r in rows], categories=[r["category"] for r in rows],
        counts=np.array([r["count"] for r in rows], dtype=np.int64),
        popularity=np.array([r["popularity"] for r in rows], dtype=np.float64),
        context=context, mean=np.asarray(meta["mean"], dtype=np.float32),
    )


@functools.lru_cache(maxsize=4)
def _cached_lexicon(path: str) -> Lexicon:
    return load_lexicon(Path(path))


def get_lexicon() -> Lexicon:
    return _cached_lexicon(str(config.lexicon_path()))
