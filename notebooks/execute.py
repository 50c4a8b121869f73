"""Run quickstart.ipynb top to bottom and save it with its outputs, as GitHub shows it.

    OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 python notebooks/execute.py

tests/test_notebook.py runs the notebook again and checks that it prints what is stored here, so
rerun this after a change that alters what promptkit writes (the expansions, say).
"""

import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).with_name("quickstart.ipynb")


def main() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    with tempfile.TemporaryDirectory() as folder:
        NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": folder}}).execute()
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)  # run times would change the file on every run
        for output in cell.get("outputs", []):
            output.get("data", {}).pop("image/jpeg", None)  # the PNG alone shows on GitHub, at half the size
    nbformat.write(notebook, NOTEBOOK)


if __name__ == "__main__":
    main()
