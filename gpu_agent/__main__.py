"""``python -m gpu_agent --config agent.toml`` with the agent key in VS_AGENT_KEY.

SIGTERM or Ctrl-C: stop taking jobs and let the running one finish (``shutdown_grace_seconds``);
a second signal aborts it at once, reported as retryable so another agent picks it up.
"""
from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from gpu_agent.config import BACKENDS, MODES, ConfigError, load_config
from gpu_agent.service import AgentService


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gpu_agent", description="VisionSuit GPU agent")
    parser.add_argument("--config", help="TOML config file (see gpu_agent/agent.example.toml)")
    parser.add_argument("--api", help="platform origin, e.g. https://visionsuit.example (overrides platform.url)")
    parser.add_argument("--mode", choices=MODES, help="pull jobs from the platform, or receive pushed ones")
    parser.add_argument("--backend", choices=BACKENDS, help="render with ComfyUI, or CPU preview images")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = load_config(args.config, overrides={"platform_url": args.api, "mode": args.mode,
                                                     "backend": args.backend})
    except (ConfigError, OSError) as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2

    service = AgentService(config).start()
    stopping = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        if stopping.is_set():
            service.agent.abort()
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    stopping.wait()
    service.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
