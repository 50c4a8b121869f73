"""Coherence rules for added modifiers: media that contradict, redundancy, near-synonyms.

Pure functions over lower-case strings, table-testable. Media kinds:
photo, realism (photoreal look), painting, oil, watercolor, drawing, anime (anime/comic),
pixel, logo (logo/vector/flat/icon), render3d, digital (digital/concept art), stylized (fantasy,
surreal, abstract: wrong on photos), hidetail (8k/intricate: wrong on flat art).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from ..core.text import normalize_modifier

MEDIA = ("photo", "painting", "drawing", "anime", "pixel", "logo", "render3d")

_KIND_PATTERNS: dict[str, re.Pattern[str]] = {k: re.compile(p) for k, p in {
    "photo": r"\b(?:photo|photos|photograph\w*|dslr|\d+\s?mm|f/\d|f\d\.\d|canon|nikon|sony a7\w*|leica|fujifilm|hasselblad|kodak|portra|polaroid|bokeh|shutter|iso \d+|film grain|telephoto|long exposure|photoshoot|photo shoot|national geographic|35mm film|cinestill|macro lens|editorial)\b",
    "realism": r"\b(?:photo-?realis\w*|hyper-?realis\w*|hyper realis\w*|ultra-?realis\w*|ultra realistic|realistic|realism|lifelike|life-like|ultrarealistic|photoreal)\b",
    "painting": r"\b(?:painting|paintings|painted|oil|acrylic|gouache|canvas|watercolou?r|brush ?strokes?|impasto|fresco|tempera|matte painting|painterly|digital painting)\b",
    "oil": r"\b(?:oil|oils|acrylic|impasto|oil on canvas)\b",
    "watercolor": r"\b(?:watercolou?rs?|aquarelle|gouache|ink wash)\b",
    "drawing": r"\b(?:drawings?|drawn|sketch\w*|pencils?|charcoal|graphite|ink|inked|pen|line art|lineart|crosshatch\w*|etching|engraving|conte)\b",
    "anime": r"\b(?:anime|manga|comic|comics|cartoon|cel[- ]shad\w*|cell shaded|studio ghibli|ghibli|makoto shinkai|kyoto animation|pixiv|webtoon|chibi|kawaii|waifu|toon|graphic novel|moebius)\b",
    "pixel": r"\b(?:pixel|pixels|pixelated|pixel ?art|8-?bit|16-?bit|32-?bit|sprite|voxel)\b",
    "logo": r"\b(?:logo|logos|vector|vectorized|icon|flat design|flat illustration|flat colou?rs?|flat|minimalist logo|emblem|sticker|clipart|clip art|infographic)\b",
    "render3d": r"\b(?:3d|3-d|render|rendered|rendering|octane|unreal engine|unreal|ue5|ue4|blender|cinema ?4d|c4d|vray|v-ray|redshift|cgi|zbrush|keyshot|maya|houdini|cryengine|ray ?tracing|raytraced|path traced|low ?poly|isometric 3d|substance|sculpted|subsurface scattering|ambient occlusion)\b",
    "illustration": r"\b(?:illustration|illustrated|digital art|concept art|digital painting|artwork|storybook|children's book|key art|splash art|character design)\b",
    "cartoon": r"\b(?:pixar|disney|dreamworks|animation|animated|cartoon\w*|claymation|toon)\b",
    "stylized": r"\b(?:abstract|cubis\w*|impressionis\w*|expressionis\w*|pop art|fauvis\w*|pointillis\w*|naive art|art brut|surreal\w*|fantasy|d&d|dnd|dungeons and dragons|league of legends|horror)\b",
    "digital": r"\b(?:digital painting|digital art|digital illustration|matte painting|concept art|concept design|character design|splash art|key art)\b",
    "hidetail": r"\b(?:\d+k|uhd|hdr|\w*detail\w*|intricate\w*|photo-?realis\w*|hyper-?realis\w*|octane|unreal engine|ray ?tracing)\b",
}.items()}

# Kinds that must not meet in one expanded prompt (symmetric).
_CONFLICTS = {
    "photo": {"painting", "watercolor", "drawing", "anime", "pixel", "logo", "render3d"},
    "realism": {"watercolor", "drawing", "anime", "pixel", "logo"},
    "painting": {"pixel", "logo", "render3d"},
    "oil": {"watercolor", "drawing"},
    "drawing": {"pixel", "render3d", "logo"},
    "anime": {"pixel", "render3d"},
    "illustration": {"photo"},
    "cartoon": {"photo", "realism"},
    "stylized": {"photo", "realism"},
    "digital": {"photo", "oil", "watercolor", "drawing", "pixel", "logo"},
    "pixel": {"logo", "hidetail", "render3d"},
    "logo": {"render3d", "hidetail"},
}
CONFLICTS = {k: set(v) for k, v in _CONFLICTS.items()}
for a, others in _CONFLICTS.items():
    for b in others:
        CONFLICTS.setdefault(b, set()).add(a)


# Artist key -> the media kinds its prompts imply (from the relevance model: photographers vs painters).
Implied = Mapping[str, frozenset[str]]
NO_IMPLIED: Implied = {}


def kinds(text: str, implied: Implied = NO_IMPLIED) -> frozenset[str]:
    """The media kinds a phrase (or a whole prompt) names (artists: the media their prompts use)."""
    text = text.lower()
    found = {k for k, p in _KIND_PATTERNS.items() if p.search(text)}
    found |= implied.get(text, frozenset())
    if "pixel" in found:
        found.discard("painting")  # "pixel art painting" is pixel art
    if "logo" in found and "flat" in text and not re.search(r"\b(?:logo|vector|icon|flat design|flat illustration|sticker)\b", text):
        found.discard("logo")  # "flat lighting", "flat lay": not a flat-art medium
    return frozenset(found)


def prompt_medium(prompt: str) -> str | None:
    """The prompt's medium, one of MEDIA, or None when the prompt does not say (or is ambiguous)."""
    found = kinds(prompt)
    for medium in ("pixel", "logo", "anime", "drawing", "painting", "render3d", "photo"):
        if medium in found or (medium == "painting" and "watercolor" in found):
            others = {m for m in MEDIA if m in found and m != medium}
            if medium in ("photo", "render3d") and others:
                return None
            return medium
    return None


def conflicts(a: Iterable[str], b: Iterable[str]) -> bool:
    """Do two sets of kinds contradict each other?"""
    b = set(b)
    return any(CONFLICTS.get(k, set()) & b for k in a)


# --- redundancy and near-synonyms ---------------------------------------------------------

_STOP = frozenset("a an the of in on at by with and & to for from as very ultra highly extremely super".split())

SYNONYM_GROUPS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((n, re.compile(p)) for n, p in (
    ("resolution", r"^(?:\d+k(?: uhd| hd| resolution| hdr)?|uhd|hd|full hd|ultra hd|high resolution|high res|highres|hi-res|4k uhd|8k uhd|8k hd|4k hd|\d+k ultra hd)$"),
    ("detail", r"(?:\bdetailed\b|\bdetails?\b|\bintricate\w*|hyperdetailed|ultradetailed)"),
    ("realism", r"(?:realis\w*|lifelike|photoreal\w*)"),
    ("platform", r"\b(?:artstation\w*|art station|cgsociety|deviantart|behance|pixiv|cgtrader|polycount|furaffinity)\b"),
    ("engine", r"\b(?:octane|unreal|ue5|ue4|vray|v-ray|redshift|blender|cinema ?4d|c4d|keyshot|cryengine|arnold render|corona render|houdini|maya)\b"),
    ("masterpiece", r"^(?:masterpiece|a masterpiece|award[- ]winning(?: \w+)?|best quality|high quality|top quality|museum quality)$"),
    ("sharp", r"^(?:sharp focus|in focus|focused|sharp|crisp|extra crisp|razor sharp)$"),
    ("beauty", r"^(?:beautiful|stunning|gorgeous|breathtaking|very beautiful|amazing|awesome)$"),
    ("dnd", r"^(?:d&d|d & d|dnd|dungeons and dragons|d and d)$"),
    ("scifi", r"^(?:sci-?fi|sci fi|scifi|science fiction)$"),
    ("dof", r"\b(?:depth of field|dof|bokeh|shallow depth of field)\b"),
    ("volumetric", r"\bvolumetric\b"),
    ("cinematic", r"^(?:cinematic|cinematic still|movie still|film still|cinematic shot|cinematic composition)$"),
    ("concept", r"^(?:concept art|concept artwork|concept design|conceptart|concept illustration)$"),
    ("digital", r"^(?:digital art|digital painting|digital illustration|digital artwork)$"),
    ("symmetry", r"\bsymmetr\w*\b"),
    ("lens", r"\b\d+\s?mm\b"),
    # one film stock and one camera body a photo: "kodak portra, fujifilm superia" is two films
    ("film", r"\b(?:kodak|portra|ektachrome|ektar|kodachrome|fujifilm|fuji|superia|velvia|provia|cinestill|ilford|tri-x|agfa\w*)\b"),
    ("camera body", r"\b(?:canon|nikon|sony a\w*|leica|hasselblad|pentax|olympus|lumix|arri alexa|red epic)\b"),
    ("minimal", r"\bminimalis\w*"),
))


def synonym_groups(key: str) -> frozenset[str]:
    """Every near-synonym group a modifier key falls in: "30mm photorealistic" is both realism and
    lens, so it may not join "35mm" any more than "photorealistic" (at most one per group in a variant)."""
    return frozenset(name for name, pattern in SYNONYM_GROUPS if pattern.search(key))


def _stem(word: str) -> str:
    word = word.replace("colour", "color")
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > 4 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> frozenset[str]:
    """Stemmed content words (stop words and intensifiers dropped)."""
    words = re.findall(r"[a-z0-9]+(?:[-'][a-z0-9]+)*", text.lower())
    return frozenset(_stem(w) for w in words if w not in _STOP)


def redundant(key: str, others: Sequence[str], prompt: str = "") -> bool:
    """Every content word of `key` already appears in the prompt or inside one other modifier."""
    words = content_words(key)
    if not words:
        return True
    if words <= content_words(prompt):
        return True
    return any(words <= content_words(o) for o in others if o != key)


def allowed(key: str, chosen: Sequence[str], prompt: str, prompt_kinds: frozenset[str] | None = None,
            implied: Implied = NO_IMPLIED) -> bool:
    """May `key` join `chosen` (already added, in order) for `prompt`? All coherence rules at once."""
    prompt_kinds = kinds(prompt) if prompt_kinds is None else prompt_kinds
    mine = kinds(key, implied)
    if conflicts(mine, prompt_kinds) or any(conflicts(mine, kinds(c, implied)) for c in chosen):
        return False
    if redundant(key, chosen, prompt) or any(redundant(c, [key]) for c in chosen):
        return False
    groups = synonym_groups(key)
    return not groups or not any(groups & synonym_groups(c) for c in chosen)


def check_expansion(prompt: str, added: Sequence[str]) -> dict[str, bool]:
    """Audit one expansion: {'conflict': any contradicting media, 'redundant': any redundant or synonym pair}."""
    pk = kinds(prompt)
    conflict = any(conflicts(kinds(a), pk) for a in added) or any(
        conflicts(kinds(a), kinds(b)) for i, a in enumerate(added) for b in added[i + 1:])
    red = any(redundant(normalize_modifier(a), [normalize_modifier(b) for b in added if b is not a], prompt) for a in added)
    groups = [g for a in added for g in synonym_groups(normalize_modifier(a))]
    return {"conflict": conflict, "redundant": red or len(groups) != len(set(groups))}

