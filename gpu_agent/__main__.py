"""``python -m gpu_agent --api https://visionsuit.example`` with VS_AGENT_KEY in the environment."""
import argparse
import logging
import os
import sys

from gpu_agent.agent import Agent, PlatformClient


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m gpu_agent")
    parser.add_argument("--api", required=True, help="platform origin, e.g. http://127.0.0.1:8000")
    args = parser.parse_args()
    key = os.environ.get("VS_AGENT_KEY")
    if not key:
        sys.exit("set VS_AGENT_KEY to the key shown when the agent was registered")
    logging.basicConfig(level=logging.INFO)
    try:
        Agent(PlatformClient(args.api, key)).run_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
