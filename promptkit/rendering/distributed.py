"""Rendering across processes under `accelerate launch`: whole batches split, images gathered.

Whole batches go to each process, so an image's batch (and so its pixels) does not depend on the
process count. Nothing here imports accelerate unless several processes were launched.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Sequence
from typing import Any

_TEARDOWN_REGISTERED: list = []  # non-empty once the exit hook is registered (once per process)


def distributed_state():
    """accelerate's PartialState when launched with several processes, else None."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return None
    import torch
    from accelerate import PartialState

    # Without a GPU, accelerate only forms a multi-process CPU group (gloo) when told cpu=True.
    state = PartialState(cpu=not torch.cuda.is_available())
    if not _TEARDOWN_REGISTERED:
        _TEARDOWN_REGISTERED.append(True)
        atexit.register(_leave_together, state)
    return state


def _leave_together(state) -> None:
    """Wait for every process, then take the group down, before the interpreter exits.

    Process 0 hosts the group's store. A process that exits while its peer is still in the last
    collective or tearing down leaves that peer with a closed connection, and gloo aborts it: the
    launch fails although every image was written. Leaving together closes that window.
    """
    try:
        state.wait_for_everyone()
        state.destroy_process_group()
    except Exception:  # the group may already be gone (a peer failed); nothing is left to do
        pass


def my_share(state, batches: Sequence[Any]) -> list:
    """This process's consecutive share of `batches` (all of them when not distributed)."""
    if state is None:
        return list(batches)
    with state.split_between_processes(list(batches)) as share:
        return list(share)


def gather(state, items: list) -> list:
    """Every process's items, in process order (so in the original order), on every process."""
    if state is None:
        return items
    from accelerate.utils import gather_object

    return list(gather_object(items))


def process_index(state) -> int:
    return state.process_index if state is not None else 0


def is_main_process(state) -> bool:
    return state is None or state.is_main_process
