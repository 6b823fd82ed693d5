"""`make test`: unit tests, the integration suite on the embedded stack (moto), a schemathesis run
over the OpenAPI document, then the integration suite on LocalStack + DynamoDB Local. Prints per-tier counts and wall times, and a final
summary line over all tiers. Exits non-zero if any tier fails (or runs no test)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
REPORTS = ROOT / ".data" / "test-reports"

TIERS = [
    ("unit", [PY, "-m", "pytest", "tests/unit"], {}),
    ("integration-moto", [PY, "-m", "pytest", "tests/integration"], {"VS_TEST_STACK": "embedded"}),
    # Schemathesis over the OpenAPI document, on its own embedded stack: zero 5xx for any input.
    ("api-fuzz", [PY, "-m", "pytest", "tests/fuzz"], {"VS_TEST_STACK": "embedded"}),
    ("integration-localstack", ["bash", "scripts/stack/tier2.sh", PY, "-m", "pytest", "tests/integration"], {}),
]


def counts(report: Path) -> dict[str, int]:
    if not report.is_file():
        return {"passed": 0, "failed": 0, "skipped": 0, "errors": 0}
    suite = ET.parse(report).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    total, failed, errors, skipped = (int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped"))
    return {"passed": total - failed - errors - skipped, "failed": failed, "skipped": skipped, "errors": errors}


def main() -> int:
    only = set(sys.argv[1:])
    REPORTS.mkdir(parents=True, exist_ok=True)
    started, results, ok = time.monotonic(), [], True
    for name, cmd, env in TIERS:
        if only and name not in only:
            continue
        report = REPORTS / f"{name}.xml"
        report.unlink(missing_ok=True)
        print(f"\n=== {name} ===", flush=True)
        t0 = time.monotonic()
        rc = subprocess.call(cmd + ["-q", f"--junitxml={report}"], cwd=ROOT, env={**os.environ, **env})
        c = counts(report)
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
