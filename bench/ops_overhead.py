"""Operations paths on the embedded stack (make dev's runtime), each against a reference measured in
the same run, so the ratio means something on a noisy machine:

- cleanup-orphans deleting N unreferenced media objects vs the floor of that work done directly
  (ListObjectsV2 pages + DeleteObjects batches of the same number of keys);
- cleanup-expired deleting N expired nonces vs a direct Scan + one DeleteItem per item;
- redrive of M dead letters through ``POST /api/admin/system/queues/dispatch/redrive`` vs sending the
  same M messages straight to the queue in batches of 10 (a redrive also receives and deletes each);
- ``GET /api/admin/system`` vs ``GET /api/auth/me`` (the cheapest authenticated request).

    python -m bench.ops_overhead [--objects 2000] [--nonces 1000] [--messages 200] [--requests 30]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import uuid

import boto3
import requests

DAY = 86400


def timed(fn) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def put_orphans(s3, bucket: str, n: int) -> None:
    body = b"x" * 64
    for i in range(n):
        s3.put_object(Bucket=bucket, Key=f"assets/images/{uuid.uuid4().hex}/{i}.webp", Body=body)


def direct_list_and_delete(s3, bucket: str, prefix: str) -> int:
    deleted, token = 0, None
    while True:
        page = s3.list_objects_v2(Bucket=bucket, Prefix=prefix, **({"ContinuationToken": token} if token else {}))
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
            deleted += len(keys)
        if not page.get("IsTruncated"):
            return deleted
        token = page["NextContinuationToken"]


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=2000)
    parser.add_argument("--nonces", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    from infra.local.runtime import LocalRuntime, RuntimeOptions

    rt = LocalRuntime(RuntimeOptions(port=0, prefix=f"bench{uuid.uuid4().hex[:6]}")).start()
    try:
        from chalicelib import container
        from chalicelib.models import Role

        results: dict = {"stack": "embedded (moto server)"}
        s3, sqs = boto3.client("s3"), boto3.client("sqs")
        bucket = rt.env["VS_BUCKET_MEDIA"]
        later = time.time() + 2 * DAY  # every object and nonce is past its grace period / expiry
        cleanup = container.new_cleanup_service(clock=lambda: later)

        # -- cleanup-orphans vs direct list + delete --------------------------------------------------
        put_orphans(s3, bucket, args.objects)
        job_s, report = timed(lambda: cleanup.cleanup_orphans(args.objects))
        assert report["deleted"] == args.objects, report
        put_orphans(s3, bucket, args.objects)
        ref_s, deleted = timed(lambda: direct_list_and_delete(s3, bucket, "assets/images/"))
        assert deleted == args.objects
        results["cleanup_orphans"] = {
            "objects": args.objects, "job_s": round(job_s, 3), "direct_list_delete_s": round(ref_s, 3),
            "job_ms_per_object": round(job_s / args.objects * 1000, 3), "ratio": round(job_s / ref_s, 2)}

        # -- cleanup-expired vs direct scan + delete ---------------------------------------------------
        nonces = container.nonces_repo()
        table = rt.env["VS_TABLE_NONCES"]
        ddb = boto3.client("dynamodb")

        def seed_nonces() -> None:
            for _ in range(args.nonces):
                assert nonces.claim(uuid.uuid4().hex, time.time() + 60)

        seed_nonces()
        job_s, report = timed(lambda: cleanup.cleanup_expired(args.nonces))
        assert report["deleted"]["nonces"] == args.nonces, report

        def direct_scan_delete() -> int:
            deleted, start = 0, None
            while True:
                page = ddb.scan(TableName=table, **({"ExclusiveStartKey": start} if start else {}))
                for item in page.get("Items", []):
                    ddb.delete_item(TableName=table, Key={"pk": item["pk"]})
                    deleted += 1
                start = page.get("LastEvaluatedKey")
                if not start:
                    return deleted

        seed_nonces()
        ref_s, deleted = timed(direct_scan_delete)
        assert deleted == args.nonces
        results["cleanup_expired"] = {
            "items": args.nonces, "job_s": round(job_s, 3), "direct_scan_delete_s": round(ref_s, 3),
            "job_ms_per_item": round(job_s / args.nonces * 1000, 3), "ratio": round(job_s / ref_s, 2)}

        # -- redrive through the API vs direct sends ---------------------------------------------------
        password = "bench-password-1"
        container.auth_service().upsert_account("ops-bench@example.test", "Ops bench", Role.ADMIN, password)
        api = requests.Session()
        login = api.post(f"{rt.url}/api/auth/login", json={"email": "ops-bench@example.test", "password": password})
        api.headers["Authorization"] = f"Bearer {login.json()['data']['token']}"
        dispatch = rt.env["VS_QUEUE_DISPATCH_URL"]
        dlq_arn = json.loads(sqs.get_queue_attributes(QueueUrl=dispatch, AttributeNames=["RedrivePolicy"])
                             ["Attributes"]["RedrivePolicy"])["deadLetterTargetArn"]
        dlq = sqs.get_queue_url(QueueName=dlq_arn.rsplit(":", 1)[1])["QueueUrl"]

        def send_all(url: str) -> None:
            for i in range(0, args.messages, 10):
                entries = [{"Id": str(j), "MessageBody": json.dumps({"bench": i + j})} for j in range(min(10, args.messages - i))]
                sqs.send_message_batch(QueueUrl=url, Entries=entries)

        send_all(dlq)
        moved, redrive_s = 0, 0.0
        while moved < args.messages:  # one call moves what it can within its time budget
            remaining = args.messages - moved
            elapsed, r = timed(lambda: api.post(f"{rt.url}/api/admin/system/queues/dispatch/redrive",
                                                json={"max": remaining}))  # noqa: B023 (called at once)
            assert r.status_code == 200, r.text
            redrive_s += elapsed
            step = r.json()["data"]["moved"]
            assert step > 0, r.text
            moved += step
        ref_s, _ = timed(lambda: send_all(dispatch))
        sqs.purge_queue(QueueUrl=dispatch)
        results["redrive"] = {
            "messages": args.messages, "api_redrive_s": round(redrive_s, 3), "direct_send_s": round(ref_s, 3),
            "redrive_messages_per_s": round(args.messages / redrive_s, 1), "ratio": round(redrive_s / ref_s, 2)}

        # -- the system view vs the cheapest authenticated request -------------------------------------
        view, me = [], []
        for _ in range(args.requests):
            elapsed, r = timed(lambda: api.get(f"{rt.url}/api/admin/system"))
            assert r.status_code == 200, r.text
            view.append(elapsed)
            elapsed, r = timed(lambda: api.get(f"{rt.url}/api/auth/me"))
            assert r.status_code == 200, r.text
            me.append(elapsed)
        results["system_view"] = {"requests": args.requests, "p50_ms": median_ms(view),
                                  "auth_me_p50_ms": median_ms(me), "ratio": round(statistics.median(view) /
                                                                                  statistics.median(me), 2)}
        print(json.dumps(results, indent=1))
    finally:
        rt.stop()


if __name__ == "__main__":
    main()
