"""Reachability of the API's dependencies, reported without internal details."""
from __future__ import annotations

import time

AGENT_FRESH_SECONDS = 60


class HealthService:
    def __init__(self, probes: dict, agent_presence, clock=time.time) -> None:
        self._probes = probes  # name -> callable returning bool
        self._agent_presence = agent_presence  # callable -> last seen timestamp or None
        self._clock = clock

    def report(self) -> dict:
        components = {"api": "ok"}
        for name, probe in self._probes.items():
            try:
                components[name] = "ok" if probe() else "unreachable"
            except Exception:
                components[name] = "unreachable"
        try:
            seen = self._agent_presence()
        except Exception:
            seen = None
        if seen is None:
            components["gpuAgent"] = "none"
        else:
            components["gpuAgent"] = "online" if self._clock() - seen < AGENT_FRESH_SECONDS else "offline"
        core = [v for k, v in components.items() if k != "gpuAgent"]
        status = "ok" if all(v == "ok" for v in core) else "degraded"
        return {"status": status, "components": components, "time": int(self._clock())}
