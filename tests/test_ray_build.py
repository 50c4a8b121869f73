"""Index builds on Ray (`--ray`): the index a single-process build writes; Ray missing or unreachable is one line."""

from __future__ import annotations

import importlib.util
import json
import socket
import sys
import threading
import time

import numpy as np
import pytest
from conftest import synthetic_prompts
from typer.testing import CliRunner

from promptkit.cli.app import app

HAS_RAY = importlib.util.find_spec("ray") is not None
needs_ray = pytest.mark.skipif(not HAS_RAY, reason="Ray is not installed (pip install 'promptkit[ray]'; `make test` installs it)")
# Fields that say how and when an index was built, not what it holds.
BUILD_FIELDS = ("name", "engine", "created", "build_seconds")


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def one_line_error(result, *messages):
    assert result.exit_code == 1, result.output
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output, result.stderr
    for message in messages:
        assert message in result.stderr, result.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def local_ray():
    """A local Ray instance with 2 CPUs for this module's tests, shut down after: no Ray process is left."""
    if not HAS_RAY:
        pytest.skip("Ray is not installed (pip install 'promptkit[ray]'; `make test` installs it)")
    import logging

    import psutil
    import ray

    before = {p.pid for p in psutil.Process().children(recursive=True)}
    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False)
    yield ray
    ray.shutdown()
    deadline = time.monotonic() + 20
    while (left := [p for p in psutil.Process().children(recursive=True) if p.pid not in before]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left, f"Ray left processes behind: {[p.name() for p in left]}"


@pytest.fixture(scope="module")
def prompts_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("ray-prompts") / "prompts.txt"
    path.write_text("\n".join(synthetic_prompts(4000, seed=11)) + "\n", encoding="utf-8")
    return path


def index_arrays(path):
    from promptkit.retrieval.index_files import read_index_files

    files = read_index_files(path)
    return files, {k: v for k, v in files.manifest.items() if k not in BUILD_FIELDS}


@pytest.mark.parametrize("embedder", ["default", "tiny"])
def test_ray_build_writes_the_single_process_index(local_ray, prompts_file, tiny_embedder, embedder):
    from promptkit.retrieval.index import Index

    name = None if embedder == "default" else str(tiny_embedder)
    calls = []
    on_ray = Index.build(prompts_file, "on-ray", embedder=name, ray=True, progress=lambda *a: calls.append(a))
    single = Index.build(prompts_file, "single", embedder=name)
    ray_files, ray_manifest = index_arrays(on_ray.index.path)
    one_files, one_manifest = index_arrays(single.index.path)
    assert ray_manifest == one_manifest
    assert ray_files.manifest["engine"] == {"name": "ray", "address": local_ray.get_runtime_context().gcs_address,
                                            "workers": 2, "gpus_per_worker": 0}
    assert one_files.manifest["engine"]["name"] == "local"
    np.testing.assert_allclose(np.asarray(ray_files.embeddings, np.float32), np.asarray(one_files.embeddings, np.float32), atol=1e-3)
    assert np.array_equal(ray_files.prompt_offsets, one_files.prompt_offsets) and np.array_equal(ray_files.prompt_blob, one_files.prompt_blob)
    embeds = [c for c in calls if c[0] == "embed"]
    assert embeds[-1] == ("embed", ray_manifest["prompts"], ray_manifest["prompts"])
    assert local_ray.is_initialized()  # a session the caller opened is left open


def test_cli_ray_build(local_ray, prompts_file, tiny_embedder):
    result = run("index", "build", prompts_file, "--name", "cli-ray", "--embedder", tiny_embedder, "--ray", "--json")
    assert result.exit_code == 0, result.output
    info = json.loads(run("index", "info", "cli-ray", "--json").stdout)
    assert info["engine"]["name"] == "ray" and info["engine"]["workers"] == 2
    assert json.loads(result.stdout)["prompts"] == info["prompts"]
    from promptkit.retrieval.ray_build import probe_address

    probe_address(local_ray.get_runtime_context().gcs_address)  # a live Ray head passes the probe


def test_plan_asks_for_a_gpu_per_worker_only_where_the_cluster_has_gpus():
    from promptkit.retrieval.embedding import EmbedSettings
    from promptkit.retrieval.ray_build import plan

    settings = EmbedSettings()
    assert plan(1_000_000, {"CPU": 64.0, "GPU": 4.0}, settings) == (2048, 4, {"num_gpus": 1})
    assert plan(1_000_000, {"CPU": 64.0}, settings) == (2048, 64, {"num_cpus": 1})
    step, workers, _ = plan(4000, {"CPU": 2.0}, settings)  # small builds: 4+ rows a worker, whole batches
    assert step % settings.batch_size == 0 and -(-4000 // step) >= 8 and workers == 2
    assert plan(10, {"CPU": 8.0}, settings) == (settings.batch_size, 1, {"num_cpus": 1})


def test_actors_given_a_gpu_encode_on_cuda_and_cpu_actors_where_asked():
    from promptkit.retrieval.embedding import EmbedSettings
    from promptkit.retrieval.ray_build import actor_settings, plan

    settings = EmbedSettings(processes=4)
    assert settings.torch_device == "cpu"  # unset: sentence-transformers models load on the CPU
    gpu = actor_settings(settings, plan(100_000, {"CPU": 16.0, "GPU": 2.0}, settings)[2])
    assert gpu.device == "cuda" and gpu.torch_device == "cuda" and gpu.processes == 1
    cpu = actor_settings(settings, plan(100_000, {"CPU": 16.0}, settings)[2])
    assert cpu.device is None and cpu.torch_device == "cpu" and cpu.processes == 1
    assert actor_settings(EmbedSettings(device="cuda:1"), {"num_gpus": 1}).device == "cuda"  # Ray's GPU, not the driver's
    assert actor_settings(EmbedSettings(device="cpu"), {"num_cpus": 1}).device == "cpu"


def test_a_sentence_transformers_embedder_loads_on_the_device_asked_for(tiny_embedder):
    from promptkit.core.errors import InputError
    from promptkit.retrieval.embedding import EmbedSettings, get_embedder

    model = get_embedder(tiny_embedder, EmbedSettings(device="cpu")).model
    assert str(model.device) == "cpu"
    with pytest.raises(InputError, match="device must name"):
        EmbedSettings(device=" ")


def test_ray_missing_is_one_line_naming_the_extra(monkeypatch, tmp_path):
    for module in ("ray", "ray.data"):
        monkeypatch.setitem(sys.modules, module, None)  # `import ray` raises ImportError
    source = tmp_path / "p.txt"
    source.write_text("a cat, oil painting\n", encoding="utf-8")
    one_line_error(run("index", "build", source, "--ray"), "pip install 'promptkit[ray]'")
    one_line_error(run("index", "build", source, "--ray-address", "10.0.0.1:6379"), "pip install 'promptkit[ray]'")


@needs_ray
def test_unreachable_address_is_one_line_within_seconds(tmp_path):
    source = tmp_path / "p.txt"
    source.write_text("a cat, oil painting\n", encoding="utf-8")
    address = f"127.0.0.1:{free_port()}"  # nobody listens there
    started = time.perf_counter()
    one_line_error(run("index", "build", source, "--ray-address", address), f"Ray cluster at {address} is unreachable")
    assert time.perf_counter() - started < 30
    one_line_error(run("index", "build", source, "--ray-address", "no-port-here"), "is not HOST:PORT")


@needs_ray
def test_an_address_that_is_not_ray_is_one_line(monkeypatch, tmp_path):
    from promptkit.retrieval import ray_build

    monkeypatch.setattr(ray_build, "PROBE_SECONDS", 0.5)
    source = tmp_path / "p.txt"
    source.write_text("a cat, oil painting\n", encoding="utf-8")
    with socket.socket() as server:  # accepts connections (the kernel's backlog) but never answers
        server.bind(("127.0.0.1", 0))
        server.listen()
        address = f"127.0.0.1:{server.getsockname()[1]}"
        one_line_error(run("index", "build", source, "--ray-address", address), f"Ray cluster at {address} is unreachable (no answer")
    with socket.socket() as server:  # answers, but not in HTTP/2
        server.bind(("127.0.0.1", 0))
        server.listen()
        address = f"127.0.0.1:{server.getsockname()[1]}"
        replier = threading.Thread(target=_answer_like_http1, args=(server,), daemon=True)
        replier.start()
        one_line_error(run("index", "build", source, "--ray-address", address), f"{address} answers but is not a Ray cluster")
        replier.join(timeout=10)


def _answer_like_http1(server: socket.socket) -> None:
    conn, _ = server.accept()
    with conn:
        conn.recv(64)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
