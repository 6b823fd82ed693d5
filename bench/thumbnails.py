"""Thumbnail throughput: our ``make_thumbnails`` against ``vipsthumbnail`` on the same files.

Each "image" is one source turned into both gallery sizes (WebP q80, 1024 px preview and 256 px
grid), read from and written to disk on both sides. vipsthumbnail needs one process per size, as a
shell pipeline would run it. Sources are generated (deterministic, photo-like) under .data/bench/:
a 3840x2160 JPEG and a 1024x1024 PNG, the typical camera and AI-generator uploads.

Prints one JSON object with images/second for both, and ours/vips (target >= 0.7). Process start-up
is a large part of a vipsthumbnail call, so for context it also reports vips in batch mode (one
process per size over BATCH copies of the source: start-up amortised, close to in-process libvips),
with its default WebP effort (4) and with effort 2, the libwebp method make_thumbnails uses.

    python -m bench.thumbnails [--runs 9]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import PIL

from functions.ingest.thumbnails import make_thumbnails
from tests.fixtures.image_factory import photo_jpeg, photo_png

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / ".data" / "bench"
SIZES = {"preview": 1024, "grid": 256}
QUALITY = 80
TARGET_RATIO = 0.7
BATCH = 10


def ensure_vipsthumbnail() -> str:
    found = shutil.which("vipsthumbnail")
    if found:
        return found
    if os.geteuid() != 0:
        sys.exit("vipsthumbnail is missing and this is not root: install libvips-tools "
                 "(sudo apt-get install -y libvips-tools) and run again")
    print("installing libvips-tools...", file=sys.stderr)
    apt_env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "libvips-tools"]):
        subprocess.run(command, check=True, env=apt_env, stdout=sys.stderr)  # stdout is reserved for the JSON
    return shutil.which("vipsthumbnail") or sys.exit("libvips-tools installed but vipsthumbnail is not on PATH")


def write_sources() -> dict[str, Path]:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    sources = {"jpeg_3840x2160": (BENCH_DIR / "photo-3840x2160.jpg", lambda: photo_jpeg((3840, 2160))),
               "png_1024x1024": (BENCH_DIR / "generated-1024x1024.png", lambda: photo_png((1024, 1024)))}
    for path, generate in sources.values():
        path.write_bytes(generate())
    return {name: path for name, (path, _generate) in sources.items()}


def ours(source: Path, out_dir: Path) -> Callable[[], None]:
    def run() -> None:
        for name, thumbnail in make_thumbnails(source.read_bytes(), SIZES, QUALITY).items():
            (out_dir / f"ours-{name}.webp").write_bytes(thumbnail.data)
    return run


def vips(binary: str, sources: list[Path], out_dir: Path, options: str = f"Q={QUALITY}") -> Callable[[], None]:
    """One vipsthumbnail process per size over ``sources``; outputs are named after each input."""
    commands = [[binary, *map(str, sources), "--size", f"{box}x{box}", "-o", f"{out_dir}/%s-{name}.webp[{options}]"]
                for name, box in SIZES.items()]

    def run() -> None:
        for command in commands:
            subprocess.run(command, check=True)
    return run


def batch_copies(source: Path, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    copies = [directory / f"copy{index}{source.suffix}" for index in range(BATCH)]
    for copy in copies:
        copy.write_bytes(source.read_bytes())
    return copies


def interleaved_medians(runners: dict[str, Callable[[], None]], runs: int) -> dict[str, float]:
    """Median seconds per runner; rounds alternate between runners so load spikes hit all alike."""
    for run in runners.values():
        run()  # warm-up: page cache, lazy imports, sRGB profile
    samples: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(runs):
        for name, run in runners.items():
            started = time.perf_counter()
            run()
            samples[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in samples.items()}


def output_sizes(out_dir: Path, prefix: str) -> dict[str, int]:
    """Bytes of ``<prefix>-<size name>.webp`` for each size."""
    return {name: (out_dir / f"{prefix}-{name}.webp").stat().st_size for name in SIZES}


def compare(binary: str, name: str, source: Path, runs: int) -> dict[str, object]:
    out_dir = BENCH_DIR / name
    batch_out = {"default": out_dir / "batch", "effort2": out_dir / "batch-effort2"}
    for directory in batch_out.values():
        directory.mkdir(parents=True, exist_ok=True)
    copies = batch_copies(source, out_dir / "copies")
    seconds = interleaved_medians({
        "ours": ours(source, out_dir),
        "vips": vips(binary, [source], out_dir),
        "vips_batch": vips(binary, copies, batch_out["default"]),
        "vips_batch_effort_2": vips(binary, copies, batch_out["effort2"], f"Q={QUALITY},effort=2"),
    }, runs)
    ours_s, vips_s = seconds["ours"], seconds["vips"]
    batch_s = {key: seconds[key] / BATCH for key in ("vips_batch", "vips_batch_effort_2")}
    return {
        "source_bytes": source.stat().st_size,
        "ours_images_per_s": round(1 / ours_s, 2),
        "vips_images_per_s": round(1 / vips_s, 2),
        "ratio": round(vips_s / ours_s, 2),
        "vips_batch_images_per_s": round(1 / batch_s["vips_batch"], 2),
        "ratio_vs_vips_batch": round(batch_s["vips_batch"] / ours_s, 2),
        "vips_batch_effort_2_images_per_s": round(1 / batch_s["vips_batch_effort_2"], 2),
        "ratio_vs_vips_batch_effort_2": round(batch_s["vips_batch_effort_2"] / ours_s, 2),
        "ours_output_bytes": output_sizes(out_dir, "ours"),
        "vips_output_bytes": output_sizes(out_dir, source.stem),
        "vips_effort_2_output_bytes": output_sizes(batch_out["effort2"], "copy0"),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    runs = max(5, parser.parse_args().runs)
    binary = ensure_vipsthumbnail()
    vips_version = subprocess.run([binary, "--vips-version"], capture_output=True, text=True).stdout.strip()
    comparisons = {name: compare(binary, name, source, runs) for name, source in write_sources().items()}
    print(json.dumps({
        "runs": runs, "pillow": PIL.__version__, "vips": vips_version, "cpus": os.cpu_count(),
        "target_ratio": TARGET_RATIO, **comparisons,
        "meets_target": all(result["ratio"] >= TARGET_RATIO for result in comparisons.values()),
    }, indent=2))


if __name__ == "__main__":
    main()
