"""The modifier lexicon: categories of modifiers, and the shipped default `suggest` uses without an index.

The lexicon holds, per modifier: its category, how popular it is (prompt counts from public
statistics), a "context" vector (the centred mean embedding of the prompts that use it) and its
own text embedding. It holds no prompt texts. `build_lexicon` computes it from public data with
the project's own index builder; `promptkit index lexicon` is the command.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from . import __version__, config
from .errors import InputError, SearchIndexError, first_line
from .files import replaced_folder
from .prompts import Blocklist, normalize_modifier

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
_ARTICLE = re.compile(r"^(?:a|an|the)\s+")


@dataclass(frozen=True)
class Vocabularies:
    """Term lists that decide categories beyond the keyword rules (from clip-interrogator's banks)."""

    artists: frozenset[str] = frozenset()
    mediums: frozenset[str] = frozenset()
    movements: frozenset[str] = frozenset()


def categorize(modifier: str, vocab: Vocabularies = Vocabularies()) -> str:
    """The category of a modifier phrase: exact term lists first, then keyword rules, else "other"."""
    key = normalize_modifier(modifier)
    bare = _ARTICLE.sub("", key)
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


# --- building the shipped lexicon -------------------------------------------------------------

# Public statistics: how many prompts each file's counts were taken over (from its PROVENANCE.md).
LEXICA_PROMPTS = 61_000
DIFFUSIONDB_PROMPTS = 2_000_000
MAX_WORDS = 6


@dataclass(frozen=True)
class LexiconSources:
    """The permitted public data, as files under one data folder (the shared data layout)."""

    root: Path

    @property
    def prompt_files(self) -> list[Path]:
        return [self.root / "podvodka-pairs" / "pairs.jsonl", self.root / "diffusiondb-imagereward" / "train_prompts_sfw.txt"]

    def check(self) -> None:
        needed = self.prompt_files + [self.root / "lexica-modifier-counts" / "modifiers.jsonl",
                                      self.root / "diffusiondb-phrases" / "phrases.jsonl",
                                      self.root / "clip-interrogator-terms" / "artists.txt"]
        missing = [str(p.relative_to(self.root)) for p in needed if not p.is_file()]
        if missing:
            raise InputError(f"data folder '{self.root}' lacks {', '.join(missing)}; pass the public prompt data folder")


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_vocabularies(root: Path) -> Vocabularies:
    terms = root / "clip-interrogator-terms"
    norm = lambda items: frozenset(_ARTICLE.sub("", normalize_modifier(t)) for t in items)  # noqa: E731
    return Vocabularies(
        artists=frozenset(normalize_modifier(t) for t in _lines(terms / "artists.txt")),
        mediums=norm(_lines(terms / "mediums.txt")) if (terms / "mediums.txt").is_file() else frozenset(),
        movements=norm(_lines(terms / "movements.txt")) if (terms / "movements.txt").is_file() else frozenset(),
    )


def build_lexicon(
    data: Path, out: Path | None = None, *, embedder: str | None = None, max_modifiers: int = 3000,
    min_count: int = 3, heldout_percent: float = 10.0, corpus_index: str = "lexicon-corpus",
    progress: Callable[[str, int, int], None] | None = None,
) -> Path:
    """Compute the lexicon from the permitted public data and write it (atomically) to `out`.

    Prompts are embedded to place each modifier among the prompts that use it; only the
    modifier statistics and vectors are written. The held-out bucket is left out, so the
    suggestion evaluation on it stays honest.
    """
    from .index import Index

    sources = LexiconSources(Path(data))
    sources.check()
    out = Path(out) if out is not None else config.data_dir() / config.LEXICON_NAME
    # The corpus goes through the ordinary index builder (cleaning, fast embedding, build cache);
    # the index it leaves (`corpus_index`) also serves `promptkit search` and the evaluation.
    built = Index.build([str(p) for p in sources.prompt_files], corpus_index, embedder=embedder,
                        exclude_heldout=heldout_percent, progress=progress)
    index = built.index
    vocab, corpus_counts = index.vocab, index.vocab_counts
    modifier_ids, offsets = index.modifier_ids, index.modifier_offsets
    embedder_name = index.embedder
    vectors = np.asarray(index.embeddings, dtype=np.float32)
    n_prompts = index.size
    mean = vectors.mean(axis=0)
    from .embedding import get_embedder

    model = get_embedder(embedder_name)

    # Popularity: the average share of prompts using a modifier, over the statistics that know it.
    shares: dict[str, list[float]] = {}
    for m, c in zip(vocab, corpus_counts):
        shares.setdefault(m, []).append(c / n_prompts)
    lexica = {}
    for row in _jsonl(sources.root / "lexica-modifier-counts" / "modifiers.jsonl"):
        key = normalize_modifier(row["modifier"])
        if key and not row.get("nsfw_flag"):
            lexica[key] = lexica.get(key, 0) + int(row["count"])
    phrases = {}
    for row in _jsonl(sources.root / "diffusiondb-phrases" / "phrases.jsonl"):
        key = normalize_modifier(row["phrase"])
        phrases[key] = max(phrases.get(key, 0), int(row["count"]))
    for key, count in lexica.items():
        shares.setdefault(key, []).append(count / LEXICA_PROMPTS)
    for key, count in phrases.items():
        if key in shares:  # DiffusionDB phrases are noun phrases; they only refine known modifiers
            shares[key].append(count / DIFFUSIONDB_PROMPTS)
    corpus = dict(zip(vocab, corpus_counts.tolist()))
    blocklist = Blocklist()
    candidates = [
        m for m in shares
        # Lexica's list has tokenisation debris ("etail"); it counts only where the corpus agrees.
        if (corpus.get(m, 0) >= min_count or (lexica.get(m, 0) >= 10 * min_count and corpus.get(m, 0) >= 1))
        and len(m.split()) <= MAX_WORDS and len(m) <= 60 and not blocklist.matches(m)
    ]
    popularity = {m: float(np.mean(shares[m])) for m in candidates}
    chosen = sorted(candidates, key=lambda m: (-popularity[m], m))[:max_modifiers]

    # Context vectors: the centred mean embedding of the prompts using each modifier; a modifier
    # no corpus prompt uses gets its own (centred) text embedding instead.
    position = {m: i for i, m in enumerate(vocab)}
    members: dict[int, list[int]] = {}
    for row in range(n_prompts):
        for mid in modifier_ids[offsets[row]:offsets[row + 1]]:
            members.setdefault(int(mid), []).append(row)
    text_vectors = model.encode(chosen, progress=(lambda d, t: progress("modifiers", d, t)) if progress else None)
    context = np.zeros((len(chosen), vectors.shape[1]), dtype=np.float32)
    for i, m in enumerate(chosen):
        rows = members.get(position.get(m, -1))
        context[i] = (vectors[rows].mean(axis=0) if rows else text_vectors[i]) - mean
    context /= np.maximum(np.linalg.norm(context, axis=1, keepdims=True), 1e-8)

    vocabularies = load_vocabularies(sources.root)
    rows = [{"modifier": m, "category": categorize(m, vocabularies), "count": int(corpus.get(m, 0)),
             "lexica_count": int(lexica.get(m, 0)), "popularity": round(popularity[m], 7)} for m in chosen]
    meta = {
        "format": LEXICON_FORMAT, "embedder": embedder_name, "dim": int(vectors.shape[1]), "modifiers": len(chosen),
        "corpus_prompts": n_prompts, "heldout_percent_excluded": heldout_percent, "promptkit_version": __version__,
        "mean": [round(float(x), 6) for x in mean],
    }
    _write_lexicon(out, meta, rows, context)
    return out


def _write_lexicon(out: Path, meta: dict, rows: list[dict], context: np.ndarray) -> None:
    with replaced_folder(out, keep=("README.md",)) as tmp:  # the hand-written card travels with each rebuild
        (tmp / "modifiers.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        np.save(tmp / "context.npy", context.astype(np.float16))
        (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
