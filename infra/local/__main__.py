"""``make dev``: the whole platform on one port with an embedded, ephemeral local cloud."""
from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path

from infra.local.runtime import ROOT, LocalRuntime, RuntimeOptions

BANNER = """
VisionSuit is running at {url}
  API        {url}/api/health   ·   OpenAPI {url}/api/openapi.json
  Emulator   moto {endpoint} (in-process)
  Generator  one GPU agent with the CPU preview renderer (labelled previews, no GPU needed)

  EPHEMERAL: storage, tables and queues live in memory and are lost when this process stops.
  Demo content and the admin account below are created anew on every start.

  Admin      {email}
  Password   {password}

Press Ctrl-C to stop.
"""


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.local")
    parser.add_argument("--host", default=os.environ.get("VS_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("VS_PORT", "8000")))
    parser.add_argument("--no-demo", action="store_true", help="do not seed demo content")
    args = parser.parse_args()
    logging.basicConfig(level=os.environ.get("VS_LOG_LEVEL", "WARNING"))
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    data_dir = Path(os.environ.get("VS_DATA_DIR", ROOT / ".data"))
    data_dir.mkdir(parents=True, exist_ok=True)

    runtime = LocalRuntime(RuntimeOptions(host=args.host, port=args.port)).start()
    from infra.local import seed

    email = os.environ.get("VS_ADMIN_EMAIL", "admin@visionsuit.local")
    password = seed.admin(email, os.environ.get("VS_ADMIN_PASSWORD"))
    agent = None
    if not args.no_demo:
        seed.demo_content(runtime.url)
        # The agent's model cache is as ephemeral as the stack it serves.
        agent_cache = Path(tempfile.mkdtemp(prefix="visionsuit-agent-"))
        agent = seed.demo_generator(runtime.url, email, agent_cache)
    # Lets `make create-admin` and other CLIs reach this running stack (no secrets inside).
    public_env = {k: v for k, v in runtime.env.items() if "SECRET" not in k}
    public_env["AWS_ENDPOINT_URL"] = os.environ["AWS_ENDPOINT_URL"]
    (data_dir / "dev-stack.json").write_text(json.dumps(public_env, indent=2))
    print(BANNER.format(url=runtime.url, endpoint=os.environ["AWS_ENDPOINT_URL"], email=email,
                        password=password or "(as configured in VS_ADMIN_PASSWORD)"), flush=True)

    stopped = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    stopped.wait()
    print("Stopping…", flush=True)
    if agent is not None:
        agent.stop(grace_seconds=5)
        shutil.rmtree(agent_cache, ignore_errors=True)
    runtime.stop()
    (data_dir / "dev-stack.json").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
