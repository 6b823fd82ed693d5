"""Bulk import of a local LoRA library, the way the original's import scripts work.

    VS_TOKEN=... python -m chalicelib.bulk_import --api https://visionsuit.example ROOT

``ROOT/loras/<name>.safetensors`` becomes a model whose renders live in ``ROOT/images/<name>/``:
the first render is the cover, every render is uploaded into the model's gallery in batches of 12.
Models without images are skipped. Progress is written to ``ROOT/.visionsuit-import.json`` after
every step, each session's id before its first byte is sent: a second run finishes an interrupted
session (sending only what never arrived) and continues where the first stopped. Trigger words default to the file
name (the API requires at least one); ``--visibility`` applies to everything.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from chalicelib.uploader import ApiError, FileSource, Uploader

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".avif"}
BATCH = 12
STATE_FILE = ".visionsuit-import.json"


def plan(root: Path) -> tuple[list[tuple[Path, list[Path]]], list[str]]:
    """(model file, its images) pairs, and the names skipped for lack of images."""
    jobs, skipped = [], []
    for lora in sorted((root / "loras").glob("*.safetensors")):
        folder = root / "images" / lora.stem
        renders = sorted(p for p in folder.glob("*") if p.suffix.lower() in IMAGE_SUFFIXES) if folder.is_dir() else []
        if renders:
            jobs.append((lora, renders))
        else:
            skipped.append(lora.stem)
    return jobs, skipped


class State:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.data = json.loads(path.read_text()) if path.is_file() else {"models": {}}

    def model(self, name: str) -> dict:
        return self.data["models"].setdefault(name, {"batches": 0})

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=1))
        tmp.replace(self.path)  # atomic: an interrupted run never leaves a torn state file


def _upload_once(uploader: Uploader, state: State, entry: dict, slot: str, kind: str, files: list[FileSource],
                 **fields) -> dict:
    """Upload unless an earlier run already did: the session id is saved before any byte is sent,
    so an interrupted session is finished (not duplicated) on the next run."""
    pending = entry.get("pending", {}).get(slot)
    if pending:
        session = uploader.resume(pending["id"], files)
        if session is not None:
            return {**pending, **session, "id": pending["id"]}

    def remember(session: dict) -> None:
        entry.setdefault("pending", {})[slot] = {k: session.get(k) for k in ("id", "modelId", "galleryId")}
        state.save()

    return uploader.upload(kind, files, on_session=remember, **fields)


def import_library(uploader: Uploader, root: Path, visibility: str) -> dict:
    jobs, skipped = plan(root)
    state = State(root / STATE_FILE)
    report = {"models": 0, "images": 0, "skipped": skipped, "resumed": 0}
    for lora, renders in jobs:
        entry = state.model(lora.stem)
        title = lora.stem.replace("_", " ")
        if "modelId" not in entry:
            session = _upload_once(uploader, state, entry, "model", "model",
                                   [FileSource.from_path(lora), FileSource.from_path(renders[0])],
                                   title=title, triggerWords=[lora.stem], tags=["imported"], visibility=visibility,
                                   galleryTitle=title)
            entry.update(modelId=session["modelId"], galleryId=session["galleryId"])
            entry.get("pending", {}).pop("model", None)
            state.save()
            report["models"] += 1
        else:
            report["resumed"] += 1
        batches = [renders[i:i + BATCH] for i in range(0, len(renders), BATCH)]
        for number, batch in enumerate(batches):
            if number < entry["batches"]:
                continue
            slot = f"batch-{number}"
            _upload_once(uploader, state, entry, slot, "images", [FileSource.from_path(p) for p in batch],
                         title=title, galleryId=entry["galleryId"], visibility=visibility)
            entry["batches"] = number + 1
            entry.get("pending", {}).pop(slot, None)
            state.save()
            report["images"] += len(batch)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.bulk_import", description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path, help="folder holding loras/ and images/")
    parser.add_argument("--api", required=True, help="platform origin, e.g. http://127.0.0.1:8000")
    parser.add_argument("--visibility", choices=("public", "private"), default="private")
    args = parser.parse_args(argv)
    token = os.environ.get("VS_TOKEN")
    if not token:
        sys.exit("set VS_TOKEN to an access token of a curator (tokens are never passed on the command line)")
    jobs, _ = plan(args.root)
    total = sum(lora.stat().st_size + sum(p.stat().st_size for p in renders) for lora, renders in jobs)
    with Progress(TextColumn("[bold]import"), BarColumn(), DownloadColumn(), TransferSpeedColumn()) as bar:
        task = bar.add_task("upload", total=total)
        uploader = Uploader(args.api, token, progress=lambda n: bar.advance(task, n))
        try:
            report = import_library(uploader, args.root, args.visibility)
        except ApiError as e:
            print(f"stopped: {e} — run the same command again to resume", file=sys.stderr)
            return 1
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
