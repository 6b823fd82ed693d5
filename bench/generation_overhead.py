"""Orchestration overhead of on-site generation on the embedded stack, with same-run references.

Two figures, each over N requests, with an agent already long-polling (as in production):
- ``accepted_to_assigned``: POST /api/generator/requests returned 202 -> the agent's poll returned
  the assignment. Covers admission, StartExecution, the state machine's SQS send with task token,
  the claim and the presigned URLs.
- ``completed_to_visible``: the completion callback returned -> the render reads ``ready`` (the
  output PUT happens just before the callback, as the agent does it). Covers S3 -> SQS -> ingest of
  a 1024x1024 PNG plus the outcome path.
References in the same run: an SQS send -> receive round trip on the dispatch queue's stack, and
a plain image upload (presigned PUT -> ready), the floor of the second figure. No GPU is involved:
this measures the platform, not rendering. Target: p50 <= 1 s for each figure.

    python -m bench.generation_overhead [--n 20]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import threading
import time
import uuid

import boto3
import requests

from bench.ingest_latency import pct, render_png, wait_ready


class LongPoller(threading.Thread):
    """An agent that is already waiting when the request arrives; records when each job reached it."""

    def __init__(self, url: str, key: str) -> None:
        super().__init__(daemon=True)
        self.url, self.key = url, key
        self.assigned: dict[str, tuple[float, dict]] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        session = requests.Session()
        while not self.stop.is_set():
            r = session.post(f"{self.url}/api/generator/agent/poll", json={},
                             headers={"Authorization": f"Bearer {self.key}"}, timeout=60)
            job = r.json()["data"]
            if job:
                self.assigned[job["jobId"]] = (time.perf_counter(), job)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20)
    n = parser.parse_args().n
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    from infra.local.runtime import LocalRuntime, RuntimeOptions

    rt = LocalRuntime(RuntimeOptions(port=0, prefix=f"bgen{uuid.uuid4().hex[:6]}",
                                     extra_env={"VS_AGENT_POLL_WAIT_SECONDS": "20"})).start()
    try:
        from chalicelib import container
        from chalicelib.models import Role

        password = "bench-password-1"
        container.auth_service().upsert_account("bench-admin@example.test", "Bench", Role.ADMIN, password)
        api = requests.Session()
        token = api.post(f"{rt.url}/api/auth/login", json={"email": "bench-admin@example.test",
                                                            "password": password}).json()["data"]["token"]
        api.headers["Authorization"] = f"Bearer {token}"
        checkpoint = b"bench checkpoint" * 1024
        cfg = container.config()
        container.storage().put(cfg.bucket("base-models"), "bench.safetensors", checkpoint, "application/octet-stream")
        r = api.put(f"{rt.url}/api/generator/settings", json={
            "limits": {"maxConcurrentPerUser": 20, "dailyPerUser": 10000},
            "baseModels": [{"id": "bench", "label": "Bench", "type": "SDXL", "source": "bucket",
                            "key": "bench.safetensors", "sha256": hashlib.sha256(checkpoint).hexdigest()}]})
        r.raise_for_status()
        key = api.post(f"{rt.url}/api/generator/agents", json={"name": "bench"}).json()["data"]["token"]
        poller = LongPoller(rt.url, key)
        poller.start()
        time.sleep(1.5)  # the agent is waiting inside its long poll
        png = render_png()
        assign_s, visible_s = [], []
        images = container.catalog().images
        for i in range(n):
            body = {"baseModel": "bench", "prompt": f"bench render {i}", "seed": i, "width": 1024, "height": 1024}
            accepted = api.post(f"{rt.url}/api/generator/requests", json=body)
            t0 = time.perf_counter()
            accepted.raise_for_status()
            job_id = accepted.json()["data"]["id"]
            while job_id not in poller.assigned:
                time.sleep(0.002)
            t1, job = poller.assigned[job_id]
            assign_s.append(t1 - t0)
            requests.post(job["callbacks"]["heartbeat"], json={"progress": 50, "stage": "running"}, timeout=30)
            out = job["outputs"][0]
            requests.put(out["url"], data=png, headers=out["headers"], timeout=60).raise_for_status()
            done = requests.post(job["callbacks"]["complete"], json={"result": {"outputs": [{"index": 0}]}}, timeout=30)
            t2 = time.perf_counter()
            done.raise_for_status()
            render_id = container.jobs_repo().get(job_id).renders[0]
            visible_s.append(wait_ready(images, render_id) - t2)
        poller.stop.set()

        # References: SQS round trip; a plain image upload to ready.
        sqs = boto3.client("sqs")
        url = sqs.create_queue(QueueName=f"bench-ref-{uuid.uuid4().hex[:6]}")["QueueUrl"]
        sqs_s = []
        for _ in range(n):
            t = time.perf_counter()
            sqs.send_message(QueueUrl=url, MessageBody="x")
            m = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"][0]
            sqs_s.append(time.perf_counter() - t)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        upload_s = []
        for i in range(n):
            session = api.post(f"{rt.url}/api/uploads", json={"kind": "images", "files": [
                {"name": f"ref{i}.png", "size": len(png), "contentType": "image/png"}]}).json()["data"]
            f = session["files"][0]
            requests.put(f["upload"]["url"], data=png, headers=f["upload"]["headers"], timeout=60).raise_for_status()
            t = time.perf_counter()
            upload_s.append(wait_ready(images, f["assetId"]) - t)
        result = {
            "bench": "generation_overhead", "stack": "embedded-moto", "n": n,
            "accepted_to_assigned": pct(assign_s), "completed_to_visible": pct(visible_s),
            "reference_sqs_round_trip": pct(sqs_s), "reference_plain_upload_put_to_ready": pct(upload_s),
        }
        result["assigned_over_sqs_p50"] = round(result["accepted_to_assigned"]["p50_ms"]
                                                / max(result["reference_sqs_round_trip"]["p50_ms"], 0.1), 1)
        result["visible_over_plain_upload_p50"] = round(result["completed_to_visible"]["p50_ms"]
                                                        / max(result["reference_plain_upload_put_to_ready"]["p50_ms"], 0.1), 2)
        print(json.dumps(result, indent=2))
    finally:
        rt.stop()


if __name__ == "__main__":
    main()
