"""The candidate modifier vocabulary: canonical forms and categories of modifier phrases.

A modifier is kept as a candidate only if it is a whole, lower-case phrase with a role in a
detailed prompt (medium, style, artist, lighting, colour, mood, camera/composition, quality).
Subject nouns ("cat", "forest"), fragments ("sharp", "art", "octane") and category-less
phrases are not candidates. Artist credits are canonicalised to "by <name>", one per name, so
"art by greg rutkowski and alphonse mucha" yields "by greg rutkowski" and "by alphonse mucha".
"""

from __future__ import annotations

import re

from ..core.text import normalize_modifier

CATEGORIES = ("medium", "style", "artist", "lighting", "colour", "mood", "camera", "quality")

# Single words that are pieces of a modifier, not a modifier ("sharp" of "sharp focus").
FRAGMENTS = frozenset("""
art arts style styled lighting light lights focus focused digital detail details hyper sharp concept quality image
render rendered rendering matte octane painted color colors colour background design line award composition
contrast depth still raw model character scene environment texture film movie ultra high very unreal engine
trending cinema paint artwork artistic aesthetic hq wallpaper pinterest by and of the in with a an on
illustrated drawn sketched photographic high-quality resolution definition oil canvas oils acrylic paints
pixar disney profile portrait
""".split())
_ARTIST_CREDIT = re.compile(r"^(?:and\s+|&\s+)?(?:(?:art|artwork|painting|illustration|drawing|photo|photograph|photography|sculpture|concept art|poster|cover art|render)\s+)?by\s+(.+)$")
_STYLE_OF = re.compile(r"^(?:in\s+)?(?:the\s+)?style\s+of\s+(.+)$")
_AND = re.compile(r"\s+(?:and|&)\s+|\s*&\s*")

_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple((name, re.compile(p)) for name, p in (
    ("lighting", r"\b(?:light|lights|lighting|lit|glow|glowing|sunlight|moonlight|golden hour|shadows?|volumetric|backlit|backlight|god ?rays|bloom|illumination|chiaroscuro|ray ?tracing|raytraced|rim light|luminous|neon|subsurface scattering|ambient occlusion|path traced|lumen|caustics)\b"),
    ("camera", r"\b(?:\d+\s?mm|lens|bokeh|depth of field|dof|f/\d|f\d\.\d|aperture|shutter|iso \d+|canon|nikon|sony|leica|fujifilm|hasselblad|kodak|portra|polaroid|dslr|camera|shot|close-?up|closeup|wide[- ]angle|telephoto|macro|fisheye|aerial|drone|full[- ]body|low angle|high angle|tilt[- ]shift|film grain|photoshoot|photo shoot|long exposure|establishing|rule of thirds|centered|symmetrical|symmetry|front view|side view|upper body|headshot|portrait|profile|dynamic pose|composition|framing|panoramic|wide view|birds eye|bird's eye|overhead|isometric view|zenith view|cinematic still|movie still|film still)\b"),
    ("colour", r"\b(?:colou?rs?|colou?red|colou?rful|vibrant|pastel|pastels|monochrom\w*|black and white|b&w|saturated|desaturated|palette|hues?|tones?|toned|sepia|muted|iridescent|high contrast|low contrast|vivid|colou?r scheme|duotone|complementary|neon colou?rs|earth tones|color grading|colou?r grading)\b|^(?:(?:red|blue|green|yellow|orange|purple|pink|teal|gold|golden|silver|cyan|magenta|turquoise|crimson|violet|white|black)(?: and | )?)+$"),
    ("quality", r"\b(?:detailed|details?|\d+k|hd|hdr|uhd|high[- ]res\w*|resolution|high quality|best quality|masterpiece|sharp focus|intricate|photo-?realistic|hyper-?realistic|hyperrealism|hyper realism|realistic|realism|photorealism|lifelike|award[- ]winning|trending|artstation|cgsociety|deviantart|behance|pixiv|featured|professional|quality|hyperdetailed|ultradetailed|ultrarealistic|coherent|crisp|sharp)\b"),
    ("medium", r"\b(?:painting|paintings|photo|photograph|photography|render|illustration|sketch|drawing|watercolou?r|oil|canvas|acrylic|gouache|charcoal|pencil|ink|sculpture|statue|digital art|concept art|3d|cgi|octane|unreal engine|unreal 5|blender|vray|v-ray|redshift|cinema ?4d|c4d|zbrush|maya|cryengine|houdini|keyshot|pixel art|vector|lithograph|engraving|etching|woodcut|poster|comic|mural|fresco|collage|tapestry|mosaic|matte painting|screenprint|linocut|stained glass|airbrush|pastel drawing|line art|lineart|cel[- ]shad\w*|cell shaded|splash art|key art|character design|concept design|tarot card|sticker|logo|icon|flat design|low ?poly|voxel|claymation|papercraft|origami|embroidery|graffiti|manga|anime)\b"),
    ("style", r"\b(?:style|art nouveau|art deco|baroque|rococo|renaissance|impressionis\w*|expressionis\w*|surreal\w*|cubis\w*|minimalis\w*|\w+punk|vaporwave|synthwave|fantasy|sci-?fi|scifi|science fiction|gothic|cartoon|pixar|disney|ghibli|ukiyo-?e|pop art|abstract|retro|vintage|futuristic|dystopian|utopian|noir|isometric|psychedelic|whimsical|cinematic|horror|mystical|magical|romanticism|symbolis\w*|academic|brutalis\w*|painterly|stylized|d&d|dnd|dungeons and dragons|cottagecore|lovecraftian|art brut|bauhaus|hudson river school|pre-raphaelite|tonalism|afrofuturism|solarpunk|steampunk|biopunk|dieselpunk|film noir|storybook|fairytale|fairy tale)\b"),
    ("mood", r"\b(?:epic|dramatic|moody|dreamy|dreamlike|cute|kawaii|dark|eerie|ominous|creepy|gloomy|scary|calm|serene|peaceful|melancholic|melancholy|nostalgic|ethereal|atmospheric|atmosphere|mysterious|mystery|majestic|beautiful|stunning|gorgeous|breathtaking|elegant|whimsical|haunting|cozy|cosy|tranquil|somber|sombre|cheerful|playful|joyful|romantic|emotional|intense|powerful|heroic|sinister|spooky|foggy|misty|gritty|lonely|surreal|otherworldly|divine|sublime|idyllic|hopeful|dynamic|energetic|warm|cold|moody)\b"),
))


def canonical_forms(phrase: str, artists: frozenset[str] = frozenset()) -> list[str]:
    """The canonical modifier keys one prompt phrase stands for (several for a multi-artist credit)."""
    key = normalize_modifier(phrase)
    key = re.sub(r"\s*-\s*", "-", key).replace("sci-fi", "sci-fi")
    key = re.sub(r"^(?:and|&|a|an|the)\s+", "", key)
    key = re.sub(r"^(?:by\s+)+by\s+", "by ", key)
    match = _ARTIST_CREDIT.match(key) or _STYLE_OF.match(key)
    if match:
        names = [n.strip(" .") for n in _AND.split(match.group(1)) if n.strip(" .")]
        if match.re is _STYLE_OF and not all(n in artists for n in names):
            return [key]  # "in the style of cyberpunk": a style, kept whole
        return [f"by {n}" for n in names if 1 <= len(n.split()) <= 4]
    if key in artists:
        return [f"by {key}"]
    return [key] if key else []


def categorize(key: str) -> str | None:
    """The category of a canonical modifier key, or None when it is no candidate (subject, fragment)."""
    if key.startswith("by "):
        return "artist"
    for name, pattern in _RULES:
        if pattern.search(key):
            return name
    return None


# Words that make a phrase part of the subject ("golden armor", "silver hair"), not a modifier.
SUBJECT_WORDS = re.compile(r"\b(?:face|faces|hair|eyes?|teeth|armou?r|outfit|dress|skin|freckles|sea|sky|lips|nose|smile|"
                           r"clothes|clothing|costume|helmet|sword|cloak|jewelry|makeup|botanicals?|flowers?|trees?|"
                           r"background|man|woman|girl|boy|cat|dog|city|forest|house|castle|robot|dragon|wings?|portrait|body|bone|poses?|mouth|food|eyelash\w*|eyebrows?|haircuts?|hairstyles?|sundress|top|shirt|jacket|mushrooms?|weather|"
                           r"expression|facial|character|scene|"
                           r"px|1024px|fanbox)\b")
TYPOS = re.compile(r"\b(\w+) \1\b|\b\d{3,}k\b|\b(?:extremly|detailled|foccus|ilustration|intrigante|y 2k|artstationhq|24k|32k|64k|b sharp|artstion|rutowski|hue's|tean|tranding|lightning|complimentary|hiper|hyperrealistc|realistc|detalied|profile picture|artsation|artstaion|qualitty|hight|insaneley|durty|lense|dlsr|flourescent|qled|yeas|tbate)\b|\d{4}$")
NOT_ARTISTS = frozenset("midjourney dall-e artstation art station deviantart cgsociety behance pixiv night day moonlight sunlight "
                        "candlelight light the sea unreal engine octane".split())


def is_candidate(key: str) -> bool:
    """A whole modifier a user would add: short, lower-case words, no fragment, with a category."""
    if not key or key in FRAGMENTS or len(key) > 40 or len(key.split()) > 5:
        return False
    if key.startswith("by ") and (re.search(r"\d", key) or TYPOS.search(key) or len(key.split()) > 4):
        return False
    if not re.fullmatch(r"[a-z0-9][a-z0-9 &'+-]*", key) or re.fullmatch(r"[\d .]+", key):
        return False
    if key.startswith("by ") and (key[3:] in NOT_ARTISTS or categorize(key[3:]) in {"quality", "medium", "lighting"}):
        return False
    if not key.startswith("by ") and (SUBJECT_WORDS.search(key) or " by " in key or TYPOS.search(key)):
        return False
    words = key.split()
    if words[0] in {"and", "of", "with", "in", "on", "the", "a", "an", "very", "ultra"} and len(words) == 1:
        return False
    if words[-1] in {"and", "of", "with", "in", "on", "the", "a", "an", "by"}:
        return False
    return categorize(key) is not None
