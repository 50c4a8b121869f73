"""Embed an index's prompts on a Ray cluster with Ray Data (`promptkit index build --ray`).

The driver sorts the prompts by length (as `Embedder.encode` does) and cuts them into chunks of whole
batches (`plan`: at least 4 a worker, at most `EmbedSettings.chunk` prompts), one Ray Data row a chunk. `map_batches` hands the chunks to a pool of
actors (`_EmbedChunks`: the embedder is loaded once per actor through `get_embedder`, whatever
embedder was asked for), one actor per GPU when the cluster reports GPUs, else one per CPU; an actor
given a GPU loads sentence-transformers models on "cuda" (`actor_settings`; the static embedder is
numpy and stays on the CPU). The
vectors come back tagged with their chunk number and are put back in input order, so the index
written afterwards is the one a single-process build writes.

Ray is an optional extra (`pip install promptkit[ray]`). Connecting to an address where nothing
answers can hang for minutes inside Ray, so the address is probed first (TCP, then an HTTP/2
handshake: Ray's head speaks gRPC) with a short timeout.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import socket
import threading
from collections.abc import Callable, Sequence

import numpy as np

from ..core.errors import InputError, MissingDependencyError, PromptkitError, first_line
from .embedding import EmbedSettings, get_embedder

RAY_EXTRA = "pip install 'promptkit[ray]'"
PROBE_SECONDS = 5.0
# Addresses Ray resolves itself: a running local instance ("auto") or a new one ("local").
_NAMED_ADDRESSES = {"auto", "local"}
# The client preface and an empty SETTINGS frame: any HTTP/2 (gRPC) server answers with a SETTINGS frame.
_HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"


def import_ray():
    """The `ray` module with Ray Data, or a one-line error naming the extra."""
    try:
        import ray
        import ray.data  # noqa: F401  (Ray Data comes with the [data] extra of ray)
    except ImportError:
        raise MissingDependencyError(f"--ray needs Ray Data, which is not installed; run: {RAY_EXTRA}") from None
    return ray


def check_ray(ray: bool | str) -> None:
    """Fail fast, before any prompt is read: Ray missing, or (`ray` an address) nothing answering there."""
    import_ray()
    if isinstance(ray, str) and ray.strip().lower() not in _NAMED_ADDRESSES:
        probe_address(ray)


def split_address(address: str) -> tuple[str, int]:
    """'HOST:PORT' or 'ray://HOST:PORT' -> (host, port); a bad shape is a one-line error."""
    text = address.strip()
    rest = text.split("://", 1)[1] if "://" in text else text
    host, sep, port = rest.rstrip("/").rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InputError(f"Ray address '{address}' is not HOST:PORT (e.g. 10.0.0.5:6379, or ray://HOST:10001); pass the head node's address")
    return host, int(port)


def probe_address(address: str, timeout: float | None = None) -> None:
    """Raise a one-line error unless a gRPC server answers at `address` within `timeout` (PROBE_SECONDS) seconds."""
    timeout = PROBE_SECONDS if timeout is None else timeout
    host, port = split_address(address)
    fix = f"start Ray there with `ray start --head --port {port}` or pass the head node's address"
    try:
        with socket.create_connection((host, port), timeout=timeout) as conn:
            conn.settimeout(timeout)
            conn.sendall(_HTTP2_PREFACE)
            reply = conn.recv(9)
    except TimeoutError:
        raise InputError(f"Ray cluster at {address} is unreachable (no answer within {timeout:g} s); {fix}") from None
    except OSError as exc:
        reason = exc.strerror or first_line(exc, 80)
        raise InputError(f"Ray cluster at {address} is unreachable ({reason}); {fix}") from None
    not_ray = "" if len(reply) >= 4 and reply[3] == 0x04 else "no gRPC server there"
    if not not_ray and "://" not in address:  # ray://: a Ray Client server, which has no GCS service to ask
        not_ray = _ask_gcs(address, timeout)
    if not_ray:
        raise InputError(f"{address} answers but is not a Ray cluster ({not_ray}); pass the Ray head node's address (port 6379 by default)")


def _ask_gcs(address: str, timeout: float) -> str:
    """'' when the Ray head's GCS at `address` gives its cluster id within `timeout` seconds, else why not.

    Ray's own client (as `ray health-check` uses it): another gRPC server, or a proxy, answers it at once
    with an error, where `ray.init` would retry for minutes. Its C++ side logs the failure to stderr, so
    stderr is muted for the call."""
    try:
        from ray._raylet import GcsClient
    except ImportError:  # a Ray without it: the HTTP/2 answer has to do
        return ""
    outcome: dict[str, str] = {}

    def ask() -> None:
        try:
            outcome["id"] = str(GcsClient(address=address).cluster_id)
        except Exception as exc:  # any failure means no usable Ray head there
            outcome["error"] = first_line(exc, 120)

    with _muted_stderr():
        thread = threading.Thread(target=ask, daemon=True)
        thread.start()
        thread.join(timeout)
    if thread.is_alive():
        return f"no answer from Ray within {timeout:g} s"
    return outcome.get("error", "")


@contextlib.contextmanager
def _muted_stderr():
    """File descriptor 2 pointed at the null device (C++ libraries write there directly)."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


@contextlib.contextmanager
def ray_session(address: str | None):
    """Connect to `address` (None: RAY_ADDRESS, else a new local instance); yields (ray, address connected).

    A session already connected in this process (`ray.init` called by the caller) is used as it is
    and left open; one opened here is shut down on the way out."""
    ray = import_ray()
    if ray.is_initialized():
        yield ray, ray.get_runtime_context().gcs_address
        return
    target = address or os.environ.get("RAY_ADDRESS") or None
    if target and target.strip().lower() not in _NAMED_ADDRESSES:
        probe_address(target)
    try:
        with _quiet_core():
            ray.init(address=target, logging_level=logging.ERROR, log_to_driver=False)
    except (ConnectionError, ValueError, RuntimeError) as exc:
        raise InputError(f"could not connect to Ray at {target or 'a new local instance'} ({first_line(exc, 160)}); "
                         "start one with `ray start --head` or pass its address with --ray-address") from None
    try:
        yield ray, ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()


@contextlib.contextmanager
def _quiet_core():
    """Ray's C++ core logs to the driver's stderr (in Ray 2.5x, an error line for every Ray Data actor pool:
    ray-project/ray#53727); the library never prints, so the driver starts with fatal messages only,
    unless RAY_BACKEND_LOG_LEVEL is set (a local instance started here inherits it). The level is read
    once, when the driver connects (the line saying so is muted)."""
    if "RAY_BACKEND_LOG_LEVEL" in os.environ:
        yield
        return
    os.environ["RAY_BACKEND_LOG_LEVEL"] = "fatal"
    try:
        with _muted_stderr():
            yield
    finally:
        os.environ.pop("RAY_BACKEND_LOG_LEVEL", None)


@contextlib.contextmanager
def _quiet_ray_data(ray):
    """Ray Data logs each execution's start, end and settings and draws progress bars on stderr: off while
    we run (our progress goes through the build's callback), as they were afterwards."""
    logger = logging.getLogger("ray.data")
    level = logger.level
    context = ray.data.DataContext.get_current()
    flags = {key: getattr(context, key) for key in ("enable_progress_bars", "print_on_execution_start") if hasattr(context, key)}
    logger.setLevel(logging.ERROR)
    for key in flags:
        setattr(context, key, False)
    try:
        yield
    finally:
        logger.setLevel(level)
        for key, value in flags.items():
            setattr(context, key, value)


class _EmbedChunks:
    """A Ray Data actor: loads the embedder once, then encodes one chunk of prompts a call."""

    def __init__(self, embedder: str, settings: EmbedSettings):
        self.model = get_embedder(embedder, settings)

    def __call__(self, batch: dict) -> dict:
        vectors = [np.ascontiguousarray(self.model.encode([str(t) for t in texts]), dtype=np.float32) for texts in batch["texts"]]
        return {"chunk": np.asarray(batch["chunk"]), "rows": np.array([len(v) for v in vectors]),
                "vectors": np.array([v.tobytes() for v in vectors], dtype=object)}


def embed_on_ray(texts: Sequence[str], embedder: str, settings: EmbedSettings, address: str | None = None,
                 progress: Callable[[int, int], None] | None = None) -> tuple[np.ndarray, dict]:
    """Unit vectors for `texts` (float32, input order) embedded by a Ray cluster's workers, and the
    manifest's engine entry: {"name": "ray", "address", "workers", "gpus_per_worker"}."""
    texts = list(texts)
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    with ray_session(address) as (ray, connected), _quiet_ray_data(ray):
        step, workers, per_worker = plan(len(texts), ray.cluster_resources(), settings)
        chunks = [order[start:start + step] for start in range(0, len(order), step)]
        engine = {"name": "ray", "address": connected, "workers": workers, "gpus_per_worker": per_worker.get("num_gpus", 0)}
        items = [{"chunk": k, "texts": [texts[i] for i in ids]} for k, ids in enumerate(chunks)]
        dataset = ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
            _EmbedChunks, batch_size=1, compute=ray.data.ActorPoolStrategy(size=workers), batch_format="numpy",
            fn_constructor_kwargs={"embedder": embedder, "settings": actor_settings(settings, per_worker)},
            **per_worker,
        )
        del items
        out: np.ndarray | None = None
        done = 0
        try:
            for row in dataset.iter_rows():
                ids = chunks[int(row["chunk"])]
                vectors = np.frombuffer(row["vectors"], dtype=np.float32).reshape(int(row["rows"]), -1)
                if out is None:
                    out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
                out[ids] = vectors
                done += len(ids)
                if progress:
                    progress(done, len(texts))
        except Exception as exc:
            raise _one_line(exc) from None
    return (out if out is not None else np.zeros((0, 0), dtype=np.float32)), engine


def plan(count: int, resources: dict, settings: EmbedSettings) -> tuple[int, int, dict]:
    """(prompts per Ray Data row, actors, each actor's resources) for `count` prompts on a cluster with
    `resources` (`ray.cluster_resources()`): an actor per GPU when there are GPUs, else one per CPU;
    rows of whole batches, at least 4 rows an actor (balanced work), at most `settings.chunk` prompts."""
    gpus, cpus = int(resources.get("GPU", 0)), max(1, int(resources.get("CPU", 1)))
    slots = gpus or cpus
    per_row = -(-count // (4 * slots))
    per_row = -(-per_row // settings.batch_size) * settings.batch_size
    step = max(settings.batch_size, min(settings.chunk, per_row))
    workers = max(1, min(-(-count // step), slots))
    return step, workers, {"num_gpus": 1} if gpus else {"num_cpus": 1}


def actor_settings(settings: EmbedSettings, per_worker: dict) -> EmbedSettings:
    """The settings each actor encodes with: one process, on "cuda" when `plan` gave it a GPU (Ray
    sets CUDA_VISIBLE_DEVICES to that GPU), else on the device asked for (the CPU unless given)."""
    device = "cuda" if per_worker.get("num_gpus", 0) > 0 else settings.device
    return dataclasses.replace(settings, processes=1, device=device)


def _one_line(exc: BaseException) -> PromptkitError:
    """A worker's promptkit error as it was raised (e.g. an embedder that would not load), else one line."""
    seen = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, PromptkitError):
            return cause
        cause = getattr(cause, "cause", None) or cause.__cause__
    return PromptkitError(f"the Ray build failed ({first_line(exc, 200)}); see the Ray logs on the cluster (ray logs --help)")
