"""The quickstart notebook runs top to bottom, offline, on the tiny pipeline."""

import os

import nbformat
from conftest import ROOT
from nbclient import NotebookClient

NOTEBOOK = ROOT / "notebooks" / "quickstart.ipynb"


def test_quickstart_notebook_runs(tiny_model, tmp_path, monkeypatch):
    # The kernel inherits this environment: the tiny prompt model stands in for the default one.
    monkeypatch.setenv("PROMPTKIT_MODEL", str(tiny_model))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs)
    assert "identical pixels: True" in text
    assert "DPMSolverMultistepScheduler" in text and "EulerDiscreteScheduler predicts v_prediction" in text
    assert "No CUDA GPU here" in text or "image/png" in str(outputs[-1])
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 2  # the render grid and the comparison grid
