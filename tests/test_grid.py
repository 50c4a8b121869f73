import pytest
from PIL import Image

from promptkit.rendering.grid import MAX_CAPTION_LINES, Caption, _font, grid_layout, make_grid, wrap_caption

COLOURS = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255), (255, 0, 255)]


def solid(colour, size=(64, 64)):
    return Image.new("RGB", size, colour)


def captions(count):
    return [Caption("short prompt", "a cat")] + [Caption(f"expansion {i}", "a cat", ("oil painting", "8k")) for i in range(1, count)]


def test_layout_size_and_cells_for_columns_and_rows():
    caps = captions(3)
    rows = [[solid(COLOURS[r * 3 + c]) for c in range(3)] for r in range(2)]
    grid = make_grid(rows, caps, ["seed 1", "seed 2"], title="model · dpm++", warning="RANDOM WEIGHTS")
    layout = grid_layout(caps, 2, (64, 64), ["seed 1", "seed 2"])
    assert grid.size == layout.size
    assert (layout.columns, layout.rows, layout.scale, layout.cell_width) == (3, 2, 4, 256)  # 64 px enlarged x4
    width, height = layout.size
    assert width == layout.label_width + 3 * 256 + 4 * layout.pad
    assert height == layout.header_height + layout.caption_height + 2 * 256 + 3 * layout.pad
    for r in range(2):
        for c in range(3):
            x, y = layout.cell_origin(r, c)
            assert grid.getpixel((x + 1, y + 1)) == COLOURS[r * 3 + c]
            assert grid.getpixel((x + 254, y + 254)) == COLOURS[r * 3 + c]
            assert grid.getpixel((x - 1, y + 10)) == (255, 255, 255)  # padding between cells


def test_large_images_are_not_scaled_and_header_is_optional():
    grid = make_grid([[solid(COLOURS[0], (512, 512)), solid(COLOURS[1], (512, 512))]], captions(2))
    layout = grid_layout(captions(2), 1, (512, 512), has_header=False)
    assert layout.scale == 1 and layout.header_height == 0 and layout.label_width == 0
    assert grid.size == layout.size


def test_caption_marks_added_modifiers_and_wraps():
    font = _font(14)
    lines = wrap_caption(Caption("expansion 1", "oil painting of a cat sitting on a rainbow", ("highly detailed", "by greg rutkowski")), font, 120)
    words = [w for line in lines for w in line]
    assert len(lines) > 1
    assert all(font.getlength(" ".join(w for w, _ in line)) <= 120 for line in lines if len(line) > 1)
    assert [w for w, marked in words if not marked] == ["oil", "painting", "of", "a", "cat", "sitting", "on", "a", "rainbow,"]
    assert [w for w, marked in words if marked] == ["highly", "detailed,", "by", "greg", "rutkowski"]


def test_long_captions_are_cut_with_an_ellipsis():
    caption = Caption("expansion 1", "a cat", tuple(f"modifier number {i}" for i in range(80)))
    lines = wrap_caption(caption, _font(14), 200)
    assert len(lines) == MAX_CAPTION_LINES and lines[-1][-1][0].endswith("…")


@pytest.mark.parametrize("rows, caps, labels, message", [
    ([], captions(1), (), "at least one image"),
    ([[solid(COLOURS[0])]], captions(2), (), "one image per caption"),
    ([[solid(COLOURS[0])]], captions(1), ["seed 1", "seed 2"], "one label per row"),
    ([[solid(COLOURS[0]), solid(COLOURS[1], (32, 32))]], captions(2), (), "the same size"),
])
def test_inconsistent_inputs_are_rejected(rows, caps, labels, message):
    with pytest.raises(ValueError, match=message):
        make_grid(rows, caps, labels)
