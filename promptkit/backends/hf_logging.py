"""Silence diffusers/transformers progress bars and info logs: the CLI owns the terminal."""

from __future__ import annotations


def quiet_hf_libraries() -> None:
    # Set transformers' level before diffusers imports it: otherwise importing the SD pipeline logs
    # a torchvision notice about image processors promptkit never uses.
    from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    from diffusers.utils import logging as diffusers_logging

    diffusers_logging.set_verbosity_error()
    diffusers_logging.disable_progress_bar()
