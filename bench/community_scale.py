"""Community reads at two sizes: does a page cost the same whether an asset has 50 comments or 2,000,
and a member 50 notifications or 2,000?

Starts the local runtime (embedded moto by default; ``--external`` uses the AWS_ENDPOINT_URL* of the
environment, e.g. under ``bash scripts/stack/tier2.sh`` for DynamoDB Local, whose Query reads a
partition by key range like DynamoDB does — moto sorts the whole partition on every Query, so its
large/small ratio overstates growth). Seeds through the repositories (the write path is tested
elsewhere), then measures over HTTP, interleaved small/large, ``--runs`` times each:

- comments: ``GET /api/models/{id}/comments`` (first page of 30, and the page of 30 after the first 10),
- notifications: ``GET /api/notifications`` (the same two pages), ``GET /api/notifications/poll`` (nothing new),
- likes: ``POST`` + ``DELETE /api/models/{id}/like`` (a toggle: two conditional writes + transaction),
- profile and ``/api/meta/stats`` (counter reads),
- reference, same run: ``GET /api/auth/me`` (the cheapest authenticated request: one GetItem of the user).

Prints one JSON document: p50/p95 (ms) per operation and size, large/small and op/reference ratios.

    python -m bench.community_scale [--small 50] [--large 2000] [--runs 60] [--external]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid

import requests


def percentiles(samples: list[float]) -> dict:
    s = sorted(samples)
    return {"p50_ms": round(statistics.median(s) * 1000, 2), "p95_ms": round(s[max(0, int(len(s) * 0.95) - 1)] * 1000, 2)}


def register(url: str, role: str | None = None) -> tuple[str, dict]:
    from chalicelib import container
    from chalicelib.models import Role

    email = f"bench-{uuid.uuid4().hex[:10]}@example.test"
    data = requests.post(f"{url}/api/auth/register", json={"email": email, "displayName": "Bench user",
                                                          "password": "bench-password-1"}, timeout=30).json()["data"]
    if role:
        user = container.users_repo().get(data["user"]["id"])
        user.role = Role[role]
        container.users_repo().save(user)
    return data["user"]["id"], {"Authorization": f"Bearer {data['token']}"}


def seed_model(owner_id: str, title: str) -> str:
    from chalicelib import container
    from chalicelib.models import ModelAsset

    now = time.time()
    model = ModelAsset(id=uuid.uuid4().hex, owner_id=owner_id, title=title, status="ready", created_at=now,
                       updated_at=now, visibility="public")
    container.catalog().models.save(model)
    container.search_indexer().refresh("model", model.id)
    return model.id


def seed_comments(model_id: str, author_id: str, count: int) -> list[str]:
    from chalicelib.repositories.community import Comment, CommentRepository
    from chalicelib.services.notification_service import new_id

    repo, ids, start = CommentRepository(), [], time.time() - count
    for n in range(count):
        comment = Comment(id=new_id(start + n), kind="model", asset_id=model_id, author_id=author_id,
                          content=f"Comment number {n} with a few words of text", created_at=start + n)
        assert repo.add(comment)
        ids.append(comment.id)
    return ids


def seed_notifications(user_id: str, count: int) -> None:
    from chalicelib import container

    service = container.notification_service()
    for n in range(count):
        service.notify(user_id, "comments", "comment", f"Notification {n}", "Someone commented on your model")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=50)
    parser.add_argument("--large", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--external", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    from infra.local.runtime import LocalRuntime, RuntimeOptions

    rt = LocalRuntime(RuntimeOptions(port=0, prefix=f"cbench{uuid.uuid4().hex[:6]}", embedded=not args.external,
                                     extra_env={"VS_SETTINGS_CACHE_SECONDS": "5"})).start()
    try:
        url, s = rt.url, requests.Session()
        curator_id, _ = register(url, "CURATOR")
        sizes = {"small": args.small, "large": args.large}
        members, models = {}, {}
        t0 = time.perf_counter()
        for size, count in sizes.items():
            members[size] = register(url)
            models[size] = seed_model(curator_id, f"Bench model {size}")
            seed_comments(models[size], curator_id, count)
            seed_notifications(members[size][0], count)
        seed_seconds = round(time.perf_counter() - t0, 1)
        print(f"seeded in {seed_seconds}s", file=sys.stderr)

        # Next pages start after the first 10 items, so both sizes still fill a page of 30.
        def comments_cursor(size: str) -> str:
            r = s.get(f"{url}/api/models/{models[size]}/comments", params={"pageSize": 10})
            return r.json()["meta"]["cursor"]

        def notification_cursor(size: str) -> str:
            r = s.get(f"{url}/api/notifications", headers=members[size][1], params={"pageSize": 10})
            return r.json()["meta"]["cursor"]

        deep_comment = {size: comments_cursor(size) for size in sizes}
        deep_notification = {size: notification_cursor(size) for size in sizes}
        since = {size: s.get(f"{url}/api/notifications/poll", headers=members[size][1]).json()["data"]["cursor"]
                 for size in sizes}
        operations = {
            "reference_auth_me": lambda size: s.get(f"{url}/api/auth/me", headers=members[size][1]),
            "comments_first_page": lambda size: s.get(f"{url}/api/models/{models[size]}/comments",
                                                      params={"pageSize": 30}),
            "comments_next_page": lambda size: s.get(f"{url}/api/models/{models[size]}/comments",
                                                     params={"pageSize": 30, "cursor": deep_comment[size]}),
            "notifications_first_page": lambda size: s.get(f"{url}/api/notifications", headers=members[size][1],
                                                           params={"pageSize": 30}),
            "notifications_next_page": lambda size: s.get(f"{url}/api/notifications", headers=members[size][1],
                                                          params={"pageSize": 30, "cursor": deep_notification[size]}),
            "notifications_poll": lambda size: s.get(f"{url}/api/notifications/poll", headers=members[size][1],
                                                     params={"since": since[size]}),
            "like_toggle": lambda size: (s.post(f"{url}/api/models/{models[size]}/like", headers=members[size][1]),
                                         s.delete(f"{url}/api/models/{models[size]}/like", headers=members[size][1])),
            "profile": lambda size: s.get(f"{url}/api/users/{curator_id}/profile", headers=members[size][1]),
            "meta_stats": lambda size: s.get(f"{url}/api/meta/stats", headers=members[size][1]),
        }
        for op in operations.values():  # warm-up
            for size in sizes:
                op(size)
        samples = {(name, size): [] for name in operations for size in sizes}
        for _ in range(args.runs):
            for name, op in operations.items():
                for size in sizes:
                    t = time.perf_counter()
                    result = op(size)
                    samples[(name, size)].append(time.perf_counter() - t)
                    for response in result if isinstance(result, tuple) else (result,):
                        assert response.status_code == 200, (name, response.status_code, response.text[:200])
        report = {"stack": "external" if args.external else "embedded moto", "sizes": sizes, "runs": args.runs,
                  "seed_seconds": seed_seconds, "operations": {}}
        ref = {size: percentiles(samples[("reference_auth_me", size)])["p50_ms"] for size in sizes}
        for name in operations:
            small, large = percentiles(samples[(name, "small")]), percentiles(samples[(name, "large")])
            report["operations"][name] = {
                "small": small, "large": large,
                "ratio_large_to_small_p50": round(large["p50_ms"] / small["p50_ms"], 2),
                "ratio_to_reference_p50": round(large["p50_ms"] / ref["large"], 2),
            }
        print(json.dumps(report, indent=1))
    finally:
        rt.stop()


if __name__ == "__main__":
    main()
