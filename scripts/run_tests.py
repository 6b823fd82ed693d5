"""`make test`: unit tests, the integration suite on the embedded stack (moto), a schemathesis run
over the OpenAPI document, the web UI (build, vitest, end-to-end in Chromium against a `make dev`
platform), then the integration suite on LocalStack + DynamoDB Local, and the S3-heavy part of it with S3 on a
MinIO-style server fed by webhooks (integration-s3compat). Prints per-tier counts and wall
times, and a final summary line over all tiers. Exits non-zero if any tier fails (or runs no test).

`python scripts/run_tests.py e2e` (or any other tier names) runs only those tiers."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
REPORTS = ROOT / ".data" / "test-reports"

FRONTEND = ROOT / "frontend"


def pytest_tier(*args: str) -> Callable[[Path, dict], tuple[int, list[Path]]]:
    def run(report_base: Path, env: dict) -> tuple[int, list[Path]]:
        report = report_base.with_suffix(".xml")
        return subprocess.call([*args, "-q", f"--junitxml={report}"], cwd=ROOT, env=env), [report]
    return run


def e2e_tier(report_base: Path, env: dict) -> tuple[int, list[Path]]:
    """The web UI: a clean install and production build (what `make dev` serves), the vitest
    component tests, then the browser suite (frontend/e2e/run.mjs starts its own platform)."""
    vitest_report = report_base.with_name(f"{report_base.name}-vitest.xml")
    browser_report = report_base.with_name(f"{report_base.name}-browser.xml")
    steps = [
        ["npm", "ci", "--no-audit", "--no-fund"],
        ["npm", "run", "build"],
        ["npm", "test", "--", "--reporter=default", "--reporter=junit", f"--outputFile.junit={vitest_report}"],
        ["node", "e2e/run.mjs", f"--junit={browser_report}"],
    ]
    failed = 0
    for step in steps:
        print(f"$ {' '.join(step)}", flush=True)
        rc = subprocess.call(step, cwd=FRONTEND, env=env)
        failed = failed or rc
        if rc != 0 and step[:2] in (["npm", "ci"], ["npm", "run"]):
            break  # nothing to test without a build
    return failed, [vitest_report, browser_report]


# Uploads (single PUT, multipart, resume), ingest of LoRAs/images/archives through ranged reads, presigned
# downloads, transient storage errors, a generator render uploaded by the agent, and the webhook path itself.
# Everything else (incl. the parametrised hostile-format cases) reads and writes S3 no differently and would only
# repeat the integration-moto tier: the tier stays < 4 min.
S3COMPAT_TESTS = tuple(f"tests/integration/{name}" for name in (
    "test_s3compat.py", "test_uploads.py", "test_ingest.py", "test_ingest_failures.py",
    *(f"test_ingest_formats.py::{test}" for test in (
        "test_zip_with_one_safetensors_is_unpacked", "test_zip_bomb_and_zip_slip_end_in_error",
        "test_render_metadata_end_to_end", "test_rotated_jpeg_thumbnail_is_upright",
        "test_owner_can_fetch_the_raw_header", "test_bucket_lifecycle_expires_leftover_uploads")),
    "test_generation_agent.py::test_render_through_the_agent_and_comfyui"))

TIERS = [
    ("unit", pytest_tier(PY, "-m", "pytest", "tests/unit"), {}),
    ("integration-moto", pytest_tier(PY, "-m", "pytest", "tests/integration"), {"VS_TEST_STACK": "embedded"}),
    # Schemathesis over the OpenAPI document, on its own embedded stack: zero 5xx for any input.
    ("api-fuzz", pytest_tier(PY, "-m", "pytest", "tests/fuzz"), {"VS_TEST_STACK": "embedded"}),
    ("e2e", e2e_tier, {}),
    # The same suite against what CloudFormation deployed: the stateful template (infra/template.py) as a stack on
    # LocalStack, the tables applied from it to DynamoDB Local (infra/stack_deploy.py); test_deployed_stack checks it.
    ("integration-localstack", pytest_tier("bash", "scripts/stack/tier2.sh", PY, "-m", "pytest", "tests/integration"),
     {"VS_TEST_PROVISIONING": "cloudformation"}),
    # The MinIO path (docs/minio.md): S3 on SeaweedFS (path-style, SigV4 enforced, no S3->SQS), the rest embedded;
    # objects reach ingest only as MinIO webhooks. The S3-heavy files run unchanged; see S3COMPAT_TESTS.
    ("integration-s3compat", pytest_tier("bash", "scripts/stack/s3compat.sh", PY, "-m", "pytest", *S3COMPAT_TESTS), {}),
]


def counts(reports: list[Path]) -> dict[str, int]:
    """Sums every <testsuite> of the JUnit reports (pytest writes one, vitest one per file)."""
    total = {"passed": 0, "failed": 0, "skipped": 0, "errors": 0}
    for report in reports:
        if not report.is_file():
            continue
        root = ET.parse(report).getroot()
        for suite in [root] if root.tag == "testsuite" else root.findall("testsuite"):
            tests, failed, errors, skipped = (int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped"))
            total["passed"] += tests - failed - errors - skipped
            total["failed"] += failed
            total["errors"] += errors
            total["skipped"] += skipped
    return total


def main() -> int:
    only = set(sys.argv[1:])
    REPORTS.mkdir(parents=True, exist_ok=True)
    started, results, ok = time.monotonic(), [], True
    unknown = only - {name for name, _, _ in TIERS}
    if unknown:
        print(f"unknown tier(s): {', '.join(sorted(unknown))}; tiers: {', '.join(name for name, _, _ in TIERS)}")
        return 2
    for name, run, env in TIERS:
        if only and name not in only:
            continue
        for old in REPORTS.glob(f"{name}*.xml"):
            old.unlink()
        print(f"\n=== {name} ===", flush=True)
        t0 = time.monotonic()
        rc, reports = run(REPORTS / name, {**os.environ, **env})
        c = counts(reports)
        results.append((name, c, time.monotonic() - t0))
        if rc != 0 or c["passed"] == 0:
            ok = False
    print("\n=== summary ===")
    for name, c, seconds in results:
        print(f"{name:24s} {c['passed']:4d} passed {c['failed'] + c['errors']:3d} failed {c['skipped']:3d} skipped  {seconds:6.1f}s")
    print(f"make test wall time: {time.monotonic() - started:.1f}s")
    passed = sum(c["passed"] for _, c, _ in results)
    failed = sum(c["failed"] + c["errors"] for _, c, _ in results)
    skipped = sum(c["skipped"] for _, c, _ in results)
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 0 if ok and failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
