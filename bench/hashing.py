"""One-pass file hashing (MultiHasher: SHA256, AutoV1/V2/V3, CRC32, BLAKE3) against coreutils sha256sum.

Both read the same safetensors-shaped file (created once under .data/bench/, pseudo-random tensor data),
interleaved run by run after a warm-up read, so both see the same page cache. Prints one JSON object:
median wall and CPU seconds and MB/s of each, the throughput ratio MultiHasher / sha256sum (target
>= 0.8), and a plain hashlib SHA-256 pass as the floor one digest alone costs in Python.

    python -m bench.hashing [--size-mib 1024] [--runs 3]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from blake3 import blake3

from functions.ingest.hashing import CHUNK_SIZE, hash_file
from tests.fixtures.safetensors_factory import MiB, single_tensor_header

BENCH_DIR = Path(".data/bench")
TARGET_RATIO = 0.8


def ensure_bench_file(data_length: int) -> Path:
    header = single_tensor_header(data_length, {"ss_output_name": "bench"})
    path = BENCH_DIR / f"hashing-{data_length // MiB}mib.safetensors"
    if path.exists() and path.stat().st_size == len(header) + data_length:
        return path
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    stream = blake3(b"visionsuit hashing bench")  # its extendable output is fast, deterministic filler
    with open(path, "wb") as file:
        file.write(header)
        for offset in range(0, data_length, CHUNK_SIZE):
            file.write(stream.digest(length=min(CHUNK_SIZE, data_length - offset), seek=offset))
    return path


def read_through(path: Path) -> None:
    with open(path, "rb", buffering=0) as file:
        while file.read(CHUNK_SIZE):
            pass


def hashlib_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb", buffering=0) as file:
        while chunk := file.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def sha256sum(path: Path) -> str:
    return subprocess.run(["sha256sum", str(path)], check=True, capture_output=True, text=True).stdout.split()[0]


def cpu_seconds() -> float:
    """User + system time of this process and its finished children (sha256sum runs as one)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(fn: Callable[[], object]) -> tuple[float, float, object]:
    """Wall seconds, CPU seconds (comparable even when other work shares the cores), and fn's value."""
    wall_started, cpu_started = time.perf_counter(), cpu_seconds()
    value = fn()
    return time.perf_counter() - wall_started, cpu_seconds() - cpu_started, value


def summary(wall: list[float], cpu: list[float], size: int) -> dict:
    median = statistics.median(wall)
    return {"median_s": round(median, 3), "mb_per_s": round(size / median / 1e6, 1),
            "samples_s": [round(sample, 3) for sample in wall], "median_cpu_s": round(statistics.median(cpu), 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    path = ensure_bench_file(args.size_mib * MiB)
    size = path.stat().st_size
    read_through(path)

    tools = {"sha256sum": lambda: sha256sum(path), "multihasher": lambda: hash_file(path),
             "hashlib_sha256": lambda: hashlib_sha256(path)}
    wall: dict[str, list[float]] = {name: [] for name in tools}
    cpu: dict[str, list[float]] = {name: [] for name in tools}
    digests: dict[str, str] = {}
    for _ in range(args.runs):
        for name, fn in tools.items():
            wall_s, cpu_s, value = timed(fn)
            wall[name].append(wall_s)
            cpu[name].append(cpu_s)
            digests[name] = value["sha256"].lower() if isinstance(value, dict) else value
    results = {name: summary(wall[name], cpu[name], size) for name in tools}
    ratio = results["multihasher"]["mb_per_s"] / results["sha256sum"]["mb_per_s"]
    print(json.dumps({
        "file_bytes": size,
        "runs": args.runs,
        "cpu_count": os.cpu_count(),
        "chunk_bytes": CHUNK_SIZE,
        **results,
        "ratio_multihasher_to_sha256sum": round(ratio, 2),
        "target_ratio": TARGET_RATIO,
        "meets_target": ratio >= TARGET_RATIO,
        "sha256_agrees": len(set(digests.values())) == 1,
    }, indent=1))


if __name__ == "__main__":
    main()
