"""Render speed on this machine with the real Stable Diffusion 2.1 architecture (random weights).

    python benchmarks/bench_render.py [--steps 3] [--size 512] [--threads N] [--device cpu] [--dtype float32]

Builds the UNet, VAE and OpenCLIP-H text encoder from SD 2.1's published configs (written out
below; random weights, nothing downloaded) and measures:

* seconds per denoising step, and per image, for a plain `StableDiffusionPipeline` call with the
  diffusers quickstart defaults (50 steps, the model's own scheduler: DDIM in SD 2.1's config)
  against promptkit's defaults (DPM-Solver++ 2M, 25 steps, SDPA attention);
* a short + expanded prompt pair rendered in one batched call against two sequential calls.

Each call runs `--steps` denoising steps; the per-step time is the median of the timed steps and a
per-image figure is extrapolated as (call time - step time) + N x per-step, so a CPU can give an
answer in minutes. Random weights change nothing about speed. The 1-minute load average is printed
beside the table: on a busy 2-core machine torch slows several-fold, so compare rows of one run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

SHORT = "oil painting of a cat sitting on a rainbow"
EXPANDED = SHORT + ", highly detailed, digital art, trending on artstation, by greg rutkowski, cinematic lighting"
PLAIN_STEPS = 50  # the diffusers quickstart / StableDiffusionPipeline default
PROMPTKIT_STEPS = 25

# Published SD 2.1 (768-v) component configs.
UNET = dict(
    sample_size=96, in_channels=4, out_channels=4, layers_per_block=2, block_out_channels=(320, 640, 1280, 1280),
    down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
    cross_attention_dim=1024, attention_head_dim=(5, 10, 20, 20), use_linear_projection=True, upcast_attention=True,
    norm_num_groups=32, act_fn="silu", flip_sin_to_cos=True, freq_shift=0, downsample_padding=1,
)
VAE = dict(
    in_channels=3, out_channels=3, latent_channels=4, layers_per_block=2, block_out_channels=(128, 256, 512, 512),
    down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4, norm_num_groups=32,
    act_fn="silu", sample_size=768,
)
TEXT_ENCODER = dict(
    vocab_size=49408, hidden_size=1024, intermediate_size=4096, num_attention_heads=16, num_hidden_layers=23,
    max_position_embeddings=77, hidden_act="gelu", projection_dim=512, layer_norm_eps=1e-5, bos_token_id=0, eos_token_id=2, pad_token_id=1,
)
SCHEDULER = dict(
    num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
    set_alpha_to_one=False, steps_offset=1, prediction_type="v_prediction",
)


def build_pipeline(dtype):
    """SD 2.1's architecture with random weights; the tokenizer is promptkit's small CLIP-style BPE
    (the text encoder reads 77 positions whatever the vocabulary, so its cost is the same)."""
    from promptkit.core.hf import quiet_hf_libraries
    from promptkit.rendering.backends.tiny import train_clip_vocab

    quiet_hf_libraries()
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    torch.manual_seed(0)
    vocab, merges = train_clip_vocab()
    tokenizer = CLIPTokenizer(vocab=vocab, merges=merges, pad_token="!", model_max_length=77)
    pipe = StableDiffusionPipeline(
        unet=UNet2DConditionModel(**UNET), vae=AutoencoderKL(**VAE), text_encoder=CLIPTextModel(CLIPTextConfig(**TEXT_ENCODER)),
        tokenizer=tokenizer, scheduler=DDIMScheduler(**SCHEDULER), safety_checker=None, feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.to(dtype=dtype)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def timed_call(pipe, prompts, steps, size, seeds):
    """(total seconds, per-step seconds list) for one pipeline call."""
    import torch

    marks = []

    def on_step(pipeline, step, timestep, kwargs):
        marks.append(time.perf_counter())
        return kwargs

    generators = [torch.Generator("cpu").manual_seed(s) for s in seeds]
    start = time.perf_counter()
    with torch.inference_mode():
        pipe(prompt=prompts, num_inference_steps=steps, guidance_scale=7.5, width=size, height=size, generator=generators,
             callback_on_step_end=on_step)
    total = time.perf_counter() - start
    # The first mark includes text encoding; step times are the gaps between step ends.
    steps_s = [b - a for a, b in zip(marks, marks[1:])]
    return total, steps_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3, help="denoising steps per timed call (>= 2)")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="float32", choices=["float32", "float16", "bfloat16"])
    args = parser.parse_args()
    if args.steps < 2:
        parser.error("--steps must be at least 2 (one step time is measured between two step ends)")

    import warnings

    import torch

    from promptkit.rendering.backends.diffusers_sd import _use_sdpa, make_scheduler

    warnings.filterwarnings("ignore", message=r"__array__ implementation doesn't accept a copy keyword", category=DeprecationWarning)
    if args.threads:
        torch.set_num_threads(args.threads)
    load_start = os.getloadavg()[0]
    start = time.perf_counter()
    pipe = build_pipeline(getattr(torch, args.dtype)).to(args.device)
    build_s = time.perf_counter() - start
    plain_scheduler = pipe.scheduler
    params = sum(p.numel() for m in (pipe.unet, pipe.vae, pipe.text_encoder) for p in m.parameters())

    timed_call(pipe, [SHORT], 2, args.size, [0])  # warm-up: first-call allocations and kernel selection

    # Plain StableDiffusionPipeline: the model's scheduler, default attention processors.
    plain_total, plain_steps = timed_call(pipe, [SHORT], args.steps, args.size, [1])
    # promptkit defaults: DPM-Solver++ 2M built from the model's config, SDPA attention set explicitly.
    pipe.scheduler = make_scheduler("dpm++", plain_scheduler.config)
    _use_sdpa(pipe)
    pk_total, pk_steps = timed_call(pipe, [SHORT], args.steps, args.size, [1])

    batched_total, batched_steps = timed_call(pipe, [SHORT, EXPANDED], args.steps, args.size, [1, 1])
    seq_a, seq_a_steps = timed_call(pipe, [SHORT], args.steps, args.size, [1])
    seq_b, seq_b_steps = timed_call(pipe, [EXPANDED], args.steps, args.size, [1])
    load_end = os.getloadavg()[0]

    def per_image(total, step_times, steps):
        step = statistics.median(step_times)
        fixed = total - args.steps * step  # text encoding, latents, VAE decode
        return step, fixed + steps * step

    plain_step, plain_image = per_image(plain_total, plain_steps, PLAIN_STEPS)
    pk_step, pk_image = per_image(pk_total, pk_steps, PROMPTKIT_STEPS)
    seq_total = seq_a + seq_b
    seq_step = statistics.median(seq_a_steps) + statistics.median(seq_b_steps)
    batched_step = statistics.median(batched_steps)

    where = f"{args.device} {args.dtype}, {torch.get_num_threads()} torch threads"
    print(f"SD 2.1 architecture, {params / 1e6:.0f}M parameters (random weights), {args.size}x{args.size}, {where}; "
          f"built in {build_s:.0f} s; each call timed over {args.steps} steps; "
          f"1-min load average {load_start:.2f} before, {load_end:.2f} after.\n")
    print("| measurement | plain `StableDiffusionPipeline` (DDIM, 50 steps) | promptkit defaults (DPM-Solver++ 2M, 25 steps) | ratio |")
    print("|---|---|---|---|")
    print(f"| seconds per denoising step | {plain_step:.2f} | {pk_step:.2f} | {plain_step / pk_step:.2f}x |")
    print(f"| seconds per image (extrapolated) | {plain_image:.1f} | {pk_image:.1f} | {plain_image / pk_image:.2f}x faster |")
    print()
    print("| short + expanded pair, same seed | two sequential calls | one batched call | ratio |")
    print("|---|---|---|---|")
    print(f"| seconds per denoising step (both images) | {seq_step:.2f} | {batched_step:.2f} | {seq_step / batched_step:.2f}x |")
    print(f"| seconds for the pair, {args.steps} steps (measured) | {seq_total:.1f} | {batched_total:.1f} | {seq_total / batched_total:.2f}x |")
    seq_25 = per_image(seq_a, seq_a_steps, PROMPTKIT_STEPS)[1] + per_image(seq_b, seq_b_steps, PROMPTKIT_STEPS)[1]
    batched_25 = per_image(batched_total, batched_steps, PROMPTKIT_STEPS)[1]
    print(f"| seconds for the pair, {PROMPTKIT_STEPS} steps (extrapolated) | {seq_25:.1f} | {batched_25:.1f} | {seq_25 / batched_25:.2f}x |")


if __name__ == "__main__":
    main()
