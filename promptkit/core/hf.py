"""Silence transformers/diffusers progress bars and info logs: the CLI owns the terminal."""

from __future__ import annotations


def quiet_transformers() -> None:
    from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()


def quiet_diffusers() -> None:
    # Quiet transformers before diffusers imports it: otherwise importing the SD pipeline logs a
    # torchvision notice about image processors promptkit never uses.
    quiet_transformers()
    from diffusers.utils import logging as diffusers_logging

    diffusers_logging.set_verbosity_error()
    diffusers_logging.disable_progress_bar()
