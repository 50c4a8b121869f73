"""Labelled comparison grids (Pillow): a column per prompt, a row per seed.

Each column is captioned with a heading and its wrapped prompt; the modifiers an expansion added
are drawn in colour and underlined, so the difference between the columns reads at a glance.
Small images (the 64x64 test pipeline) are scaled up by a whole factor so captions stay legible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MIN_CELL = 256  # images narrower than this are enlarged (nearest neighbour) by a whole factor
MAX_CAPTION_LINES = 12
BACKGROUND = (255, 255, 255)
TEXT = (34, 34, 34)
MUTED = (110, 110, 110)
ADDED = (20, 90, 200)
WARNING = (190, 20, 20)


@dataclass(frozen=True)
class Caption:
    """One column's label: `heading` ("short prompt", "expansion 1"), the prompt, and what was added."""

    heading: str
    text: str
    added: tuple[str, ...] = ()


@dataclass(frozen=True)
class GridLayout:
    """Pixel geometry of a grid; `size` and `cell_origin` are what tests and callers rely on."""

    columns: int
    rows: int
    cell_width: int
    cell_height: int
    scale: int
    pad: int
    font_size: int
    label_width: int
    header_height: int
    caption_height: int

    @property
    def line_height(self) -> int:
        return round(self.font_size * 1.3)

    @property
    def size(self) -> tuple[int, int]:
        width = self.label_width + self.columns * self.cell_width + (self.columns + 1) * self.pad
        height = self.header_height + self.caption_height + self.rows * self.cell_height + (self.rows + 1) * self.pad
        return width, height

    def cell_origin(self, row: int, column: int) -> tuple[int, int]:
        x = self.label_width + self.pad + column * (self.cell_width + self.pad)
        y = self.header_height + self.caption_height + self.pad + row * (self.cell_height + self.pad)
        return x, y

    def caption_origin(self, column: int) -> tuple[int, int]:
        return self.cell_origin(0, column)[0], self.header_height


def _font(size: int):
    """DejaVu Sans where installed (wide Unicode coverage), else Pillow's built-in font."""
    from PIL import ImageFont

    try:
        return ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:
        return ImageFont.load_default(size=size)


def _words(caption: Caption) -> list[tuple[str, bool]]:
    """(word, added?) pairs: the prompt's words, then each added modifier's words, comma separated."""
    words = [(w, False) for w in caption.text.split()]
    for i, modifier in enumerate(caption.added):
        if words:
            last, marked = words[-1]
            if not last.endswith(","):
                words[-1] = (last + ",", marked)  # the comma is not part of the added modifier
        words.extend((w + ("," if j == len(modifier.split()) - 1 and i < len(caption.added) - 1 else ""), True)
                     for j, w in enumerate(modifier.split()))
    return words


def wrap_caption(caption: Caption, font, width: int, max_lines: int = MAX_CAPTION_LINES) -> list[list[tuple[str, bool]]]:
    """Greedy word wrap by pixel width; the last kept line ends in an ellipsis when text is cut."""
    space = font.getlength(" ")
    lines: list[list[tuple[str, bool]]] = [[]]
    used = 0.0
    for word, marked in _words(caption):
        length = font.getlength(word)
        if lines[-1] and used + space + length > width:
            lines.append([])
            used = 0.0
        used += (space if lines[-1] else 0) + length
        lines[-1].append((word, marked))
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        word, marked = lines[-1][-1]
        lines[-1][-1] = (word.rstrip(",") + "…", marked)
    return [line for line in lines if line]


def grid_layout(captions: Sequence[Caption], rows: int, image_size: tuple[int, int], row_labels: Sequence[str] = (), has_header: bool = True) -> GridLayout:
    width, height = image_size
    scale = max(1, -(-MIN_CELL // width)) if width < MIN_CELL else 1
    cell_width, cell_height = width * scale, height * scale
    font_size = max(12, min(28, cell_width // 22))
    font = _font(font_size)
    pad = font_size // 2 + 4
    line_height = round(font_size * 1.3)
    caption_lines = max((len(wrap_caption(c, font, cell_width)) for c in captions), default=0)
    caption_height = line_height * (1 + caption_lines) + pad  # heading line, then the prompt
    label_width = (max((int(font.getlength(label)) for label in row_labels), default=0) + pad) if row_labels else 0
    header_height = 2 * line_height + pad if has_header else 0
    return GridLayout(
        columns=len(captions), rows=rows, cell_width=cell_width, cell_height=cell_height, scale=scale, pad=pad,
        font_size=font_size, label_width=label_width, header_height=header_height, caption_height=caption_height,
    )


def make_grid(
    images: Sequence[Sequence[object]],
    captions: Sequence[Caption],
    row_labels: Sequence[str] = (),
    title: str = "",
    warning: str = "",
):
    """A PIL image: `images[row][column]`, captions over the columns, labels left of the rows.

    `title` (e.g. model and settings) and `warning` (e.g. "random weights") go in a header line.
    """
    from PIL import Image, ImageDraw

    if not images or not images[0]:
        raise ValueError("a grid needs at least one image")
    if any(len(row) != len(captions) for row in images):
        raise ValueError("every grid row needs one image per caption")
    if row_labels and len(row_labels) != len(images):
        raise ValueError("row_labels needs one label per row")
    first = images[0][0]
    layout = grid_layout(captions, len(images), first.size, row_labels, has_header=bool(title or warning))
    font = _font(layout.font_size)
    canvas = Image.new("RGB", layout.size, BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    if layout.header_height:
        draw.text((layout.pad, layout.pad // 2), title, fill=TEXT, font=font)
        draw.text((layout.pad, layout.pad // 2 + layout.line_height), warning, fill=WARNING, font=font)
    for column, caption in enumerate(captions):
        _draw_caption(draw, caption, layout, column, font)
    for row, row_images in enumerate(images):
        if row_labels:
            y = layout.cell_origin(row, 0)[1] + layout.cell_height // 2 - layout.font_size // 2
            draw.text((layout.pad, y), row_labels[row], fill=MUTED, font=font)
        for column, image in enumerate(row_images):
            if image.size != first.size:
                raise ValueError("all images in a grid must have the same size")
            tile = image.convert("RGB")
            if layout.scale > 1:
                tile = tile.resize((layout.cell_width, layout.cell_height), Image.Resampling.NEAREST)
            canvas.paste(tile, layout.cell_origin(row, column))
    return canvas


def _draw_caption(draw, caption: Caption, layout: GridLayout, column: int, font) -> None:
    x0, y = layout.caption_origin(column)
    heading = caption.heading + (f"  (+{len(caption.added)} modifiers)" if caption.added else "")
    draw.text((x0, y), heading, fill=MUTED, font=font)
    space = font.getlength(" ")
    for line in wrap_caption(caption, font, layout.cell_width):
        y += layout.line_height
        x = float(x0)
        for word, marked in line:
            length = font.getlength(word)
            draw.text((x, y), word, fill=ADDED if marked else TEXT, font=font)
            if marked:  # underline (not the comma): the mark survives printing in grey
                underline_y = y + layout.font_size + 1
                draw.line([(x, underline_y), (x + font.getlength(word.rstrip(",")), underline_y)], fill=ADDED, width=1)
            x += length + space
