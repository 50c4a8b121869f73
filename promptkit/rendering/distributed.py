"""Rendering across processes under `accelerate launch`: whole batches split, images gathered.

Whole batches go to each process, so an image's batch (and so its pixels) does not depend on the
process count. Nothing here imports accelerate unless several processes were launched.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any


def distributed_state():
    """accelerate's PartialState when launched with several processes, else None."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return None
    import torch
    from accelerate import PartialState

    # Without a GPU, accelerate only forms a multi-process CPU group (gloo) when told cpu=True.
    return PartialState(cpu=not torch.cuda.is_available())


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
