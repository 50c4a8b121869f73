"""The rendering options `render` and `compare` share, declared once.

`@with_render_options` adds them to a command's signature (typer reads the signature) and hands the
command one `RenderOptions` instead of thirteen loose values, so both commands offer the same
options with the same help and turn them into library arguments the same way.
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass, fields

from ..rendering.settings import DEFAULT_GUIDANCE, DEFAULT_SCHEDULER, DEFAULT_STEPS, RenderSettings
from . import options as o


@dataclass(frozen=True)
class RenderOptions:
    """What decides the pixels (settings) and where and how the model runs (backend)."""

    model: o.SdModel = None
    steps: o.Steps = DEFAULT_STEPS
    guidance: o.Guidance = DEFAULT_GUIDANCE
    width: o.Width = None
    height: o.Height = None
    negative: o.Negative = ""
    scheduler: o.Scheduler = DEFAULT_SCHEDULER
    device: o.Device = None
    dtype: o.Dtype = None
    offload: o.Offload = False
    vae_slicing: o.VaeSlicing = False
    vae_tiling: o.VaeTiling = False
    config: o.Config = None

    def settings(self) -> RenderSettings:
        """The render settings, validated (a bad value is a one-line InputError)."""
        return RenderSettings(steps=self.steps, guidance=self.guidance, width=self.width, height=self.height,
                              negative=self.negative, scheduler=self.scheduler)

    def backend(self) -> dict:
        """Keyword arguments for the backend loader."""
        return o.backend_options(self.device, self.dtype, self.offload, self.vae_slicing, self.vae_tiling, self.config)


def _option_parameters() -> list[inspect.Parameter]:
    annotations = inspect.get_annotations(RenderOptions, eval_str=True)
    return [inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, annotation=annotations[f.name], default=f.default)
            for f in fields(RenderOptions)]


def with_render_options(command):
    """Replace the command's `rendering: RenderOptions` parameter by the individual options, in its place."""
    signature = inspect.signature(command, eval_str=True)
    parameters = []
    for parameter in signature.parameters.values():
        if parameter.name == "rendering":
            parameters.extend(_option_parameters())
        else:
            parameters.append(parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY))
    names = [f.name for f in fields(RenderOptions)]

    @functools.wraps(command)
    def wrapper(**values):
        rendering = RenderOptions(**{name: values.pop(name) for name in names})
        return command(**values, rendering=rendering)

    wrapper.__signature__ = signature.replace(parameters=parameters)
    wrapper.__annotations__ = {}  # the signature above is the source of truth (typer reads it)
    return wrapper
