"""`make dev`'s program end to end: starts, serves, seeds, prints the admin, stops on Ctrl-C."""
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import requests

from tests.integration.conftest import STACK

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.skipif(STACK != "embedded", reason="make dev always runs its own embedded stack")
def test_dev_serves_seeds_and_stops_cleanly(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "VS_", "MOTO_"))}
    env.update(VS_DATA_DIR=str(tmp_path), VS_ADMIN_EMAIL="boss@example.test", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "infra.local", "--port", "0"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        output, deadline = "", time.monotonic() + 90
        while "Press Ctrl-C" not in output and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            output += line
        assert "Press Ctrl-C" in output, output
        assert "EPHEMERAL" in output
        url = re.search(r"running at (http://\S+)", output).group(1)
        password = re.search(r"Password\s+(\S+)", output).group(1)
        assert requests.get(f"{url}/api/health", timeout=10).json()["data"]["status"] == "ok"
        login = requests.post(f"{url}/api/auth/login", json={"email": "boss@example.test", "password": password}, timeout=10)
        assert login.status_code == 200 and login.json()["data"]["user"]["role"] == "ADMIN"
        # The demo content goes through the real upload, ingest and indexing path and becomes searchable.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            found = requests.get(f"{url}/api/models", params={"q": "gradient lo"}, timeout=10).json()["data"]
            if found:
                break
            time.sleep(0.5)
        assert [m["title"] for m in found] == ["Demo Gradient LoRA"]
        # The renders are uploaded after the model; their ingest may still be running.
        images = []
        while time.monotonic() < deadline and not images:
            images = requests.get(f"{url}/api/images", params={"q": "gradient study"}, timeout=10).json()["data"]
            time.sleep(0.5)
        assert images, requests.get(f"{url}/api/images", timeout=10).json()
        assert any(g["title"] == "Demo Gallery" for g in requests.get(f"{url}/api/galleries", timeout=10).json()["data"])
        # The generator works out of the box: one preview agent renders a request into a private image.
        admin = {"Authorization": f"Bearer {login.json()['data']['token']}"}
        job = requests.post(f"{url}/api/generator/requests", headers=admin, timeout=10,
                            json={"baseModel": "preview-sdxl", "prompt": "a quiet harbour", "width": 512, "height": 512})
        assert job.status_code == 202, job.text
        job_url = f"{url}/api/generator/requests/{job.json()['data']['id']}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            done = requests.get(job_url, headers=admin, timeout=10).json()["data"]
            if done["status"] in ("succeeded", "failed", "timed_out") and all(
                    r["status"] != "processing" for r in done["renders"]):
                break
            time.sleep(0.5)
        assert done["status"] == "succeeded" and done["renders"][0]["status"] == "ready", done
        assert (tmp_path / "dev-stack.json").is_file()
        assert "SECRET" not in (tmp_path / "dev-stack.json").read_text()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        assert not (tmp_path / "dev-stack.json").exists()
        assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing left behind in the data dir
    finally:
        if proc.poll() is None:
            proc.kill()
