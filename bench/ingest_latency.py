"""ObjectCreated -> ready latency on the embedded stack (make dev's runtime), with references.

For N images (a 1024x1024 PNG with A1111 metadata) and N small LoRAs, the clock starts when the
presigned PUT returns and stops when the record reads ``ready`` (polled straight from DynamoDB
every 5 ms). References measured in the same run: the PUT itself, and an SQS send -> receive round
trip on an idle queue (the floor of any S3 -> SQS -> handler pipeline).

    python -m bench.ingest_latency [--n 30]
"""
from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import time
import uuid

import boto3
import requests


def pct(samples: list[float]) -> dict:
    s = sorted(samples)
    return {"p50_ms": round(statistics.median(s) * 1000, 1), "p95_ms": round(s[max(0, int(len(s) * 0.95) - 1)] * 1000, 1),
            "max_ms": round(s[-1] * 1000, 1), "n": len(s)}


def render_png() -> bytes:
    from PIL import Image, PngImagePlugin

    # Gradient plus noise: compresses like a real render (~1-2 MB), unlike a flat test pattern.
    gradient = Image.radial_gradient("L").resize((1024, 1024))
    noise = Image.effect_noise((1024, 1024), 24)
    image = Image.merge("RGB", (gradient, Image.blend(gradient, noise, 0.5), noise))
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a lighthouse at dusk\nNegative prompt: blurry\nSteps: 30, Sampler: DPM++ 2M, "
                                "CFG scale: 6, Seed: 42, Size: 1024x1024, Model hash: 0123456789")
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def wait_ready(repo, record_id: str, timeout: float = 30) -> float:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        record = repo.get(record_id)
        if record and record.status != "processing":
            if record.status != "ready":
                raise RuntimeError(f"{record_id} ended in {record.status}: {record.error}")
            return time.perf_counter()
        time.sleep(0.005)
    raise TimeoutError(record_id)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=30)
    n = parser.parse_args().n
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    from infra.local.runtime import LocalRuntime, RuntimeOptions
    from infra.local.seed import demo_safetensors

    rt = LocalRuntime(RuntimeOptions(port=0, prefix=f"bench{uuid.uuid4().hex[:6]}")).start()
    try:
        from chalicelib import container
        from chalicelib.models import Role

        password = "bench-password-1"
        container.auth_service().upsert_account("bench@example.test", "Bench", Role.CURATOR, password)
        api = requests.Session()
        token = api.post(f"{rt.url}/api/auth/login", json={"email": "bench@example.test", "password": password}).json()
        api.headers["Authorization"] = f"Bearer {token['data']['token']}"
        catalog = container.catalog()
        png = render_png()
        put_s, image_s, model_s = [], [], []
        for i in range(n):
            session = api.post(f"{rt.url}/api/uploads", json={"kind": "images", "files": [
                {"name": f"r{i}.png", "size": len(png), "contentType": "image/png"}]}).json()["data"]
            f = session["files"][0]
            t0 = time.perf_counter()
            requests.put(f["upload"]["url"], data=png, headers=f["upload"]["headers"]).raise_for_status()
            t1 = time.perf_counter()
            put_s.append(t1 - t0)
            image_s.append(wait_ready(catalog.images, f["assetId"]) - t1)
        for i in range(n):
            lora = demo_safetensors(rank=4 + i % 8)
            cover = png
            session = api.post(f"{rt.url}/api/uploads", json={"kind": "model", "title": f"m{i}", "triggerWords": ["x"],
                                                              "files": [{"name": f"m{i}.safetensors", "size": len(lora), "contentType": "application/octet-stream"},
                                                                        {"name": "c.png", "size": len(cover), "contentType": "image/png"}]}).json()["data"]
            for f, data in zip(session["files"], (lora, cover), strict=True):
                requests.put(f["upload"]["url"], data=data, headers=f["upload"]["headers"]).raise_for_status()
            t1 = time.perf_counter()
            model_s.append(wait_ready(catalog.models, session["modelId"]) - t1)
        sqs = boto3.client("sqs")
        queue = sqs.create_queue(QueueName=f"bench-ref-{uuid.uuid4().hex[:6]}")["QueueUrl"]
        sqs_s = []
        for _ in range(n):
            t0 = time.perf_counter()
            sqs.send_message(QueueUrl=queue, MessageBody="x")
            while not (m := sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages")):
                pass
            sqs_s.append(time.perf_counter() - t0)
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=m[0]["ReceiptHandle"])
        print(json.dumps({
            "stack": "embedded moto (in-process)", "image_bytes": len(png),
            "image_objectcreated_to_ready": pct(image_s), "model_put_to_ready": pct(model_s),
            "reference_presigned_put": pct(put_s), "reference_sqs_round_trip": pct(sqs_s),
            "target_p95_ms": 1000, "meets_target": pct(image_s)["p95_ms"] <= 1000 and pct(model_s)["p95_ms"] <= 1000,
        }, indent=1))
    finally:
        rt.stop()


if __name__ == "__main__":
    main()
