"""The whole agent assembled from its config: pull loop and/or HTTP server, started and stopped together.

In-process use (tests, embedding)::

    with AgentService(config) as service:   # starts; stops on exit
        ...                                  # service.server.url serves /healthz (and /jobs in push mode)
"""
from __future__ import annotations

import logging
import threading

from gpu_agent.agent import Agent
from gpu_agent.backends import Backend, ComfyUIBackend, PreviewBackend
from gpu_agent.cache import ModelCache
from gpu_agent.comfyui import ComfyUIClient
from gpu_agent.config import AgentConfig
from gpu_agent.platform_client import PlatformClient
from gpu_agent.retry import RetryPolicy
from gpu_agent.runner import JobRunner
from gpu_agent.server import AgentServer

log = logging.getLogger("visionsuit.agent.service")


def build_backend(config: AgentConfig) -> Backend:
    if config.backend == "preview":
        return PreviewBackend(fetch_models=config.preview_fetch_models)
    client = ComfyUIClient(config.comfyui_url, timeout=config.comfyui_request_timeout_seconds)
    return ComfyUIBackend(client, poll_seconds=config.comfyui_history_poll_seconds,
                          model_refresh_seconds=config.comfyui_model_refresh_seconds,
                          expected_step_seconds=config.comfyui_expected_step_seconds)


def retry_policy(config: AgentConfig) -> RetryPolicy:
    return RetryPolicy(config.retry_attempts, config.retry_base_delay_seconds, config.retry_max_delay_seconds)


class AgentService:
    def __init__(self, config: AgentConfig, *, backend: Backend | None = None) -> None:
        self.config = config
        self.client = PlatformClient(config.platform_url, config.agent_key, config.platform_poll_timeout_seconds,
                                     retry=retry_policy(config))
        self.backend = backend or build_backend(config)
        self.cache = ModelCache(config.cache_dir, config.comfyui_models_dir, config.cache_budget_bytes,
                                retry=retry_policy(config), timeout_seconds=config.transfer_timeout_seconds,
                                chunk_bytes=config.transfer_chunk_bytes)
        runner = JobRunner(self.client, config=config, backend=self.backend, cache=self.cache)
        self.agent = Agent(self.client, runner, error_backoff_seconds=config.platform_error_backoff_seconds,
                           min_poll_interval_seconds=config.platform_min_poll_interval_seconds)
        self.server = (AgentServer(self.agent, mode=config.mode, backend=self.backend,
                                   signing_key=config.push_signing_key, host=config.server_host,
                                   port=config.server_port)
                       if config.server_enabled else None)
        self._loop: threading.Thread | None = None

    def start(self) -> AgentService:
        if self.server is not None:
            self.server.start()
            log.info("listening on %s (%s mode)", self.server.url, self.config.mode)
        if self.config.mode == "pull":
            self._loop = threading.Thread(target=self.agent.run_forever, name="pull-loop", daemon=True)
            self._loop.start()
            log.info("polling %s for jobs", self.config.platform_url)
        return self

    def stop(self, grace_seconds: float | None = None, *, wait_for_poll: bool = False) -> None:
        """Take no new work, give a running job ``grace_seconds`` to finish, then abort it (retryable).

        A long poll in flight is left to end on its own (its thread is a daemon) unless
        ``wait_for_poll``; a job it still brings back is handed back to the platform at once.
        """
        grace = self.config.shutdown_grace_seconds if grace_seconds is None else grace_seconds
        self.agent.stop()
        if not self.agent.wait_idle(grace):
            log.warning("the running job did not finish within %.0fs; aborting it", grace)
            self.agent.abort()
            self.agent.wait_idle(30)
        if self.server is not None:
            self.server.stop()
        if self._loop is not None and wait_for_poll:
            self._loop.join(self.config.platform_poll_timeout_seconds + 5)

    def __enter__(self) -> AgentService:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
