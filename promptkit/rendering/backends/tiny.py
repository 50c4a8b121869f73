"""A tiny, randomly initialised Stable-Diffusion-2-shaped pipeline built in code (no download).

Same architecture family as SD 2.1 (v-prediction, DPM-Solver++, a CLIP text encoder whose tokenizer
pads with "!", linear-projection attention, an 8x VAE), but a few hundred thousand random weights:
it renders noise at 64x64 in a fraction of a second. Tests and offline smoke runs use it; the
folder it writes carries a `promptkit.json` marker so that every image made from it is labelled
as coming from random weights.
"""

from __future__ import annotations

import json
from pathlib import Path

MARKER_FILE = "promptkit.json"
TINY_SIZE = 64
# Words the tokenizer's byte-pair merges are learnt from: enough to give prompts multi-letter tokens.
_CORPUS = (
    "a photo of a cat sitting on a rainbow, oil painting of a lighthouse on a cliff at sunset, "
    "portrait of an old man reading a book, highly detailed, digital art, trending on artstation, "
    "concept art, sharp focus, cinematic lighting, volumetric light, 8k, octane render, unreal engine, "
    "watercolor, matte painting, by greg rutkowski, by alphonse mucha, studio ghibli, intricate, "
    "a red fox in the snow, a castle in the clouds, a robot in a garden, a ship in a storm, "
    "a forest at dawn, a city street at night, a dragon over the mountains, a bowl of fruit, "
    "golden hour, dramatic sky, soft colors, fantasy, landscape, illustration, masterpiece"
)


def train_clip_vocab(vocab_size: int = 600) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """A CLIP-style byte-level BPE (words end in "</w>") learnt from the small corpus above."""
    from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE(unk_token="<|endoftext|>", end_of_word_suffix="</w>"))
    tokenizer.normalizer = normalizers.Sequence([normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Lowercase()])
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(r"""'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""), behavior="removed", invert=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False),
    ])
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=["<|startoftext|>", "<|endoftext|>"], end_of_word_suffix="</w>",
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False,
    )
    tokenizer.train_from_iterator([_CORPUS] * 4, trainer)
    model = json.loads(tokenizer.to_str())["model"]
    vocab: dict[str, int] = dict(model["vocab"])
    # Every byte must also exist as a word end ("x</w>"), else one-letter words would become unknown.
    for char in sorted(pre_tokenizers.ByteLevel.alphabet()):
        for token in (char, char + "</w>"):
            vocab.setdefault(token, len(vocab))
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
    return vocab, merges


def tiny_components(seed: int = 0) -> dict:
    """The pipeline's components, randomly initialised from `seed` (same seed, same weights)."""
    from ...core.hf import quiet_diffusers

    quiet_diffusers()
    import torch
    from diffusers import AutoencoderKL, DPMSolverMultistepScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    vocab, merges = train_clip_vocab()
    # SD 2 pads with "!" (its OpenCLIP tokenizer); the length is CLIP's 77 (files alone would say ~1e30).
    tokenizer = CLIPTokenizer(vocab=vocab, merges=merges, pad_token="!", model_max_length=77)
    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        sample_size=TINY_SIZE // 8, in_channels=4, out_channels=4, layers_per_block=1,
        block_out_channels=(32, 64), down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), cross_attention_dim=32,
        attention_head_dim=(2, 4), use_linear_projection=True, norm_num_groups=16,
    )
    torch.manual_seed(seed + 1)
    # Four blocks, like SD's VAE, so the latent is 1/8 of the image side.
    vae = AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4, layers_per_block=1, sample_size=TINY_SIZE,
        block_out_channels=(8, 8, 16, 16), norm_num_groups=8,
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
    )
    torch.manual_seed(seed + 2)
    text_encoder = CLIPTextModel(CLIPTextConfig(
        vocab_size=len(vocab), hidden_size=32, intermediate_size=37, num_attention_heads=4, num_hidden_layers=2,
        max_position_embeddings=77, hidden_act="gelu", projection_dim=32,
        bos_token_id=vocab["<|startoftext|>"], eos_token_id=vocab["<|endoftext|>"], pad_token_id=vocab["!"],
    ))
    scheduler = DPMSolverMultistepScheduler(
        num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
        prediction_type="v_prediction", algorithm_type="dpmsolver++", solver_order=2, steps_offset=1,
    )
    return dict(unet=unet, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, scheduler=scheduler)


def build_tiny_pipeline(seed: int = 0):
    """A `StableDiffusionPipeline` with tiny random weights, in memory."""
    components = tiny_components(seed)  # quiets diffusers and transformers before the pipeline module imports
    from diffusers import StableDiffusionPipeline

    return StableDiffusionPipeline(**components, safety_checker=None, feature_extractor=None, requires_safety_checker=False)


def save_tiny_pipeline(out: str | Path, seed: int = 0) -> Path:
    """Write the tiny pipeline as an ordinary diffusers folder (safetensors), atomically, and return it."""
    from ...core.files import Artifact, replaced_folder

    TINY_PIPELINE = Artifact("tiny test pipeline", MARKER_FILE, ("random_weights",))

    out = Path(out).expanduser()
    pipeline = build_tiny_pipeline(seed)
    with replaced_folder(out, artifact=TINY_PIPELINE) as staging:
        pipeline.save_pretrained(staging, safe_serialization=True)
        marker = {"random_weights": True, "seed": seed, "note": "tiny randomly initialised SD-2-shaped test pipeline; it renders noise"}
        (staging / MARKER_FILE).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        (staging / "README.md").write_text(
            f"# promptkit tiny test pipeline\n\nRandom weights (seed {seed}), Stable Diffusion 2 architecture at toy size. "
            "Every image it renders is noise; promptkit labels them as random weights.\n",
            encoding="utf-8",
        )
    return out


def is_random_weights(folder: str | Path) -> bool:
    """True when `folder` was written by `save_tiny_pipeline` (or otherwise marked as random weights)."""
    marker = Path(folder) / MARKER_FILE
    if not marker.is_file():
        return False
    try:
        return bool(json.loads(marker.read_text(encoding="utf-8")).get("random_weights"))
    except (OSError, ValueError):
        return False
