"""The quickstart notebook runs top to bottom, offline, and prints what its stored outputs show
(notebooks/execute.py re-records them)."""

import os
import re

import nbformat
from conftest import ROOT
from nbclient import NotebookClient

NOTEBOOK = ROOT / "notebooks" / "quickstart.ipynb"
TIMING = re.compile(r"\d(\.\d+)? ?(ms|s)\b")


def printed(cell) -> list[str]:
    """The lines a code cell printed, without timing lines (the one thing allowed to differ)."""
    text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")
    return [line for line in text.splitlines() if not TIMING.search(line)]


def shown_images(cell) -> list[bool]:
    """Whether each rich result of a cell is an image (its bytes may differ by platform)."""
    return ["image/png" in o.get("data", {}) for o in cell.get("outputs", []) if o.get("output_type") in ("execute_result", "display_data")]


def test_stored_outputs_show_text_and_an_image():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.get("outputs") for cell in code), "every code cell has stored output (run and save the notebook)"
    assert any(any(shown_images(cell)) for cell in code)
    assert not [o for cell in code for o in cell.outputs if o.output_type == "error" or o.get("name") == "stderr"]


def test_notebook_runs_and_prints_its_stored_outputs(tmp_path, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("PROMPTKIT_MODEL", raising=False)
    monkeypatch.delenv("PROMPTKIT_RELEVANCE", raising=False)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    stored = nbformat.read(NOTEBOOK, as_version=4)
    fresh = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(fresh, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    for before, after in zip(stored.cells, fresh.cells):
        if before.cell_type != "code":
            continue
        assert not [o for o in after.outputs if o.output_type == "error" or o.get("name") == "stderr"], after.source
        assert printed(after) == printed(before), after.source
        assert shown_images(after) == shown_images(before), after.source
