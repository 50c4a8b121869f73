"""The samplers promptkit offers by name: the one table the backend, the PNG metadata and the CLI read."""

from __future__ import annotations

from dataclasses import dataclass

from ..core.errors import InputError


@dataclass(frozen=True)
class SchedulerChoice:
    class_name: str  # the diffusers scheduler class
    options: dict  # passed to `from_config` beside the model's own scheduler config
    label: str  # what a person calls it
    a1111: str  # the A1111 "Sampler" label for the same algorithm


# Each is built from the model's own scheduler config, so v-prediction and the beta schedule carry over.
SCHEDULERS: dict[str, SchedulerChoice] = {
    "dpm++": SchedulerChoice("DPMSolverMultistepScheduler", {"algorithm_type": "dpmsolver++", "solver_order": 2, "use_karras_sigmas": False}, "DPM-Solver++ 2M", "DPM++ 2M"),
    "dpm++-karras": SchedulerChoice("DPMSolverMultistepScheduler", {"algorithm_type": "dpmsolver++", "solver_order": 2, "use_karras_sigmas": True}, "DPM-Solver++ 2M, Karras sigmas", "DPM++ 2M Karras"),
    "euler": SchedulerChoice("EulerDiscreteScheduler", {}, "Euler", "Euler"),
    "euler-a": SchedulerChoice("EulerAncestralDiscreteScheduler", {}, "Euler ancestral", "Euler a"),
    "ddim": SchedulerChoice("DDIMScheduler", {}, "DDIM", "DDIM"),
    "pndm": SchedulerChoice("PNDMScheduler", {"skip_prk_steps": True}, "PNDM (PLMS)", "PLMS"),
    "unipc": SchedulerChoice("UniPCMultistepScheduler", {}, "UniPC", "UniPC"),
}


def scheduler_names() -> list[str]:
    return list(SCHEDULERS)


def check_scheduler(name: str, names: list[str] | None = None) -> str:
    """`name` if it is one of `names` (default: the built-in samplers), else a one-line InputError."""
    names = scheduler_names() if names is None else names
    if name not in names:
        raise InputError(f"unknown scheduler {name!r}; choose one of: {', '.join(names)} (e.g. --scheduler {names[0]})")
    return name
