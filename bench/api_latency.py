"""API overhead on the embedded stack, against a direct DynamoDB reference measured in the same run.

Prints one JSON object: p50/p95 (ms) of
  - reference_getitem: boto3 GetItem of the user item straight from the emulator (what an
    authenticated request costs at minimum: it reads the stored user),
  - health / auth_me / login through the HTTP API (envelope, middleware, auth, validation),
  - auth_me_concurrent: the same with 8 client threads (requests must not queue behind each other),
and the ratios api/reference, so the figure means something on a noisy machine.

    python -m bench.api_latency [--n 200]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import boto3
import requests


def percentiles(samples: list[float]) -> dict:
    s = sorted(samples)
    return {"p50_ms": round(statistics.median(s) * 1000, 2), "p95_ms": round(s[int(len(s) * 0.95) - 1] * 1000, 2), "n": len(s)}


def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
    n = parser.parse_args().n
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    from infra.local.runtime import LocalRuntime, RuntimeOptions

    rt = LocalRuntime(RuntimeOptions(port=0, prefix=f"bench{uuid.uuid4().hex[:6]}",
                                     extra_env={"VS_LOGIN_ATTEMPTS": "100000"})).start()
    try:
        email, password = f"bench-{uuid.uuid4().hex[:8]}@example.test", "bench-password-1"
        s = requests.Session()
        reg = s.post(f"{rt.url}/api/auth/register", json={"email": email, "displayName": "Bench", "password": password}).json()
        token, user_id = reg["data"]["token"], reg["data"]["user"]["id"]
        auth = {"Authorization": f"Bearer {token}"}
        ddb = boto3.client("dynamodb")
        table = rt.env["VS_TABLE_USERS"]
        results = {
            "reference_getitem": percentiles(timed(lambda: ddb.get_item(TableName=table, Key={"pk": {"S": f"USER#{user_id}"}}, ConsistentRead=True), n)),
            "health": percentiles(timed(lambda: s.get(f"{rt.url}/api/health"), n)),
            "auth_me": percentiles(timed(lambda: s.get(f"{rt.url}/api/auth/me", headers=auth), n)),
            "login": percentiles(timed(lambda: s.post(f"{rt.url}/api/auth/login", json={"email": email, "password": password}), max(10, n // 10))),
        }
        with ThreadPoolExecutor(8) as pool:
            samples = []

            def one(_):
                t0 = time.perf_counter()
                requests.get(f"{rt.url}/api/auth/me", headers=auth, timeout=30)
                return time.perf_counter() - t0

            t0 = time.perf_counter()
            samples = list(pool.map(one, range(n)))
            wall = time.perf_counter() - t0
        results["auth_me_concurrent"] = {**percentiles(samples), "threads": 8, "throughput_rps": round(n / wall, 1)}
        ref = results["reference_getitem"]["p50_ms"]
        results["ratio_auth_me_to_getitem_p50"] = round(results["auth_me"]["p50_ms"] / ref, 2)
        results["ratio_health_to_getitem_p50"] = round(results["health"]["p50_ms"] / ref, 2)
        results["stack"] = "embedded moto (in-process)"
        print(json.dumps(results, indent=1))
    finally:
        rt.stop()


if __name__ == "__main__":
    main()
