"""atlas.png: the map as a static picture, points coloured by topic, labels on top (Pillow)."""

from __future__ import annotations

import colorsys

import numpy as np

WIDTH, HEIGHT = 1200, 900
BACKGROUND = (250, 250, 250)


def topic_colour(topic: int) -> tuple[int, int, int]:
    """The page's colour for a topic (hsl(hue, 70%, light)): the golden-angle hue, three lightness bands."""
    hue = (topic * 137.508) % 360 / 360
    light = (38 + (topic // 10 % 3) * 10) / 100
    r, g, b = colorsys.hls_to_rgb(hue, light, 0.7)
    return int(r * 255), int(g * 255), int(b * 255)


def _font(size: int):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()


def draw_map(xy: np.ndarray, topics: np.ndarray, labels: list[tuple[str, float, float]], title: str, note: str):
    """A PIL image of the points (unit-square positions) with each topic's label at (x, y)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    top = 40
    side = min(WIDTH, HEIGHT - top) * 0.94
    ox, oy = (WIDTH - side) / 2, top + (HEIGHT - top - side) / 2
    pixels = np.asarray(image).copy()
    px = np.clip((xy[:, 0] * side + ox).astype(int), 0, WIDTH - 5)
    py = np.clip((xy[:, 1] * side + oy).astype(int), 0, HEIGHT - 5)
    palette = np.array([topic_colour(t) for t in range(int(topics.max(initial=0)) + 1)], dtype=np.float32)
    colours = palette[topics]
    dot = 2 if len(xy) > 20_000 else 3 if len(xy) > 3_000 else 4  # fewer points, bigger dots
    for dx in range(dot):  # square dots, blended 75% over what is there
        for dy in range(dot):
            target = pixels[py + dy, px + dx].astype(np.float32)
            pixels[py + dy, px + dx] = (0.25 * target + 0.75 * colours).astype(np.uint8)
    image = Image.fromarray(pixels)
    draw = ImageDraw.Draw(image)
    label_font, title_font = _font(16), _font(20)
    placed: list[tuple[float, float, float, float]] = []
    for text, x, y in labels:  # largest topics first; a label that would cover another moves up or down
        box = draw.textbbox((x * side + ox, y * side + oy), text, font=label_font, anchor="mm", stroke_width=3)
        height = box[3] - box[1] + 2
        for shift in (0, height, -height, 2 * height, -2 * height, 3 * height, -3 * height):
            moved = (box[0], box[1] + shift, box[2], box[3] + shift)
            if not any(moved[0] < b[2] and b[0] < moved[2] and moved[1] < b[3] and b[1] < moved[3] for b in placed):
                break
        placed.append(moved)
        draw.text((x * side + ox, y * side + oy + moved[1] - box[1]), text, fill=(25, 25, 25), font=label_font, anchor="mm",
                  stroke_width=3, stroke_fill=(255, 255, 255))
    draw.text((12, 10), title, fill=(20, 20, 20), font=title_font)
    draw.text((WIDTH - 12, 14), note, fill=(110, 110, 110), font=_font(13), anchor="ra")
    return image
