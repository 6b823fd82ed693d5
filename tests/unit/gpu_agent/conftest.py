from __future__ import annotations

import pytest

from gpu_agent.config import AgentConfig
from tests.fixtures.fake_comfyui import FakeComfyUI
from tests.unit.gpu_agent.platform_stub import AGENT_KEY, PlatformStub


@pytest.fixture
def platform():
    stub = PlatformStub().start()
    yield stub
    stub.stop()


@pytest.fixture
def models_dir(tmp_path):
    return tmp_path / "models"


@pytest.fixture
def comfy(models_dir, tmp_path):
    with FakeComfyUI(models_dir, tmp_path / "comfy-out", step_seconds=0.005) as fake:
        yield fake


@pytest.fixture
def config(platform, comfy, models_dir, tmp_path) -> AgentConfig:
    """Settings for fast tests: short polls, tiny retry delays, an ephemeral port."""
    return AgentConfig(platform_url=platform.url, agent_key=AGENT_KEY, comfyui_url=comfy.url,
                       comfyui_models_dir=models_dir, cache_dir=tmp_path / "cache", server_port=0,
                       comfyui_history_poll_seconds=0.02, comfyui_model_refresh_seconds=1.0,
                       retry_base_delay_seconds=0.01, retry_max_delay_seconds=0.05, platform_error_backoff_seconds=0.05,
                       platform_min_poll_interval_seconds=0.05, shutdown_grace_seconds=2)
