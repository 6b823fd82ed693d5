"""Demo content for ``make dev``, created through the same paths users take (API + presigned PUTs)."""
from __future__ import annotations

import json
import secrets
import struct
import zlib

from chalicelib import container
from chalicelib.models import Role
from chalicelib.uploader import FileSource, Uploader


def admin(email: str, password: str | None) -> str | None:
    _, generated = container.auth_service().upsert_account(email, "Administrator", Role.ADMIN, password)
    return generated


def demo_png(width: int = 64, height: int = 64, tint: int = 160, text: dict[str, str] | None = None) -> bytes:
    """A small gradient PNG, generated so nothing has to be downloaded or shipped."""
    rows = b"".join(b"\x00" + bytes(v for x in range(width) for v in (x * 4 % 256, y * 4 % 256, tint))
                    for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    texts = b"".join(chunk(b"tEXt", k.encode("latin-1") + b"\x00" + v.encode("latin-1")) for k, v in (text or {}).items())
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + texts + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def demo_safetensors(rank: int = 4) -> bytes:
    """A tiny but valid SD1.5-shaped LoRA with kohya metadata."""
    tensors, offset = {}, 0
    for name, shape in (("lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k.lora_down.weight", (rank, 768)),
                        ("lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k.lora_up.weight", (320, rank))):
        size = shape[0] * shape[1] * 2
        tensors[name] = {"dtype": "F16", "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    tensors["__metadata__"] = {
        "ss_base_model_version": "sd_v1", "ss_network_module": "networks.lora", "ss_network_dim": str(rank),
        "ss_network_alpha": "1", "ss_output_name": "demo_gradient", "ss_resolution": "(512, 512)",
        "ss_tag_frequency": json.dumps({"10_gradient": {"gradient": 12, "abstract": 7}}), "ss_num_train_images": "12",
    }
    header = json.dumps(tensors, separators=(",", ":")).encode()
    header += b" " * (-len(header) % 8)
    return struct.pack("<Q", len(header)) + header + bytes(offset)


def demo_content(base_url: str) -> None:
    """A demo curator, a LoRA with its cover and a small gallery, uploaded through the real flow."""
    password = secrets.token_urlsafe(15)
    container.auth_service().upsert_account("curator@visionsuit.local", "Demo Curator", Role.CURATOR, password)
    uploader = Uploader.login(base_url, "curator@visionsuit.local", password)
    cover = demo_png(tint=200, text={"parameters": "gradient, abstract\nSteps: 20, Sampler: Euler a, CFG scale: 7, "
                                                  "Seed: 1, Size: 64x64"})
    session = uploader.upload(
        "model", [FileSource.from_bytes("demo_gradient.safetensors", demo_safetensors(), "application/octet-stream"),
                  FileSource.from_bytes("cover.png", cover, "image/png")],
        title="Demo Gradient LoRA", description="Generated demo model.", triggerWords=["gradient"],
        tags=["demo", "abstract"], visibility="public", galleryTitle="Demo Gallery")
    renders = [FileSource.from_bytes(f"render-{t}.png", demo_png(tint=t), "image/png") for t in (40, 90, 140)]
    uploader.upload("images", renders, title="Gradient study", visibility="public", galleryId=session["galleryId"])


PREVIEW_CHECKPOINT_KEY = "preview/visionsuit-preview-checkpoint.safetensors"


def demo_generator(base_url: str, admin_email: str, cache_dir) -> object:
    """The generator ready to use on the embedded stack: a base-model entry and one GPU agent with the
    CPU preview renderer (clearly labelled previews, no weights needed), polling like a real one.

    The "checkpoint" is a tiny generated file: the preview renderer never reads it, but the agent
    downloads and verifies it through its presigned URL exactly as it would a real checkpoint."""
    import hashlib

    from gpu_agent.config import AgentConfig
    from gpu_agent.service import AgentService

    checkpoint = demo_safetensors(rank=16)
    cfg = container.config()
    container.storage().put(cfg.bucket("base-models"), PREVIEW_CHECKPOINT_KEY, checkpoint, "application/octet-stream")
    admin = container.users_repo().get_by_email(admin_email)
    container.generator_settings_service().update_settings(admin, {"base_models": [{
        "id": "preview-sdxl", "label": "Preview renderer (no GPU)", "type": "SDXL", "source": "bucket",
        "key": PREVIEW_CHECKPOINT_KEY, "sha256": hashlib.sha256(checkpoint).hexdigest(), "default": True}]})
    _, key = container.generator_service().register_agent("local preview agent")
    config = AgentConfig(platform_url=base_url, agent_key=key, backend="preview", preview_fetch_models=True,
                         cache_dir=cache_dir, comfyui_models_dir=cache_dir / "models", server_port=0)
    return AgentService(config).start()
