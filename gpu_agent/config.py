"""Agent settings: a TOML file (see ``agent.example.toml``), then environment, then command line.

The agent key is read from ``VS_AGENT_KEY``; keeping it out of the file lets the file be shared
and versioned. It is the only secret the agent holds.
"""
from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

log = logging.getLogger("visionsuit.agent.config")

MODES = ("pull", "push")
BACKENDS = ("comfyui", "preview")
KEY_PREFIX = "vsa_"

# Parameter -> the API-graph inputs it is written to (``<node id>.inputs.<name>``). Matches the
# shipped ``sdxl-lora`` workflow; LoRAs are not bindings, they are chained (see workflow.py).
DEFAULT_BINDINGS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "base_model_path": ("1.inputs.ckpt_name",),
    "prompt": ("3.inputs.text_g", "3.inputs.text_l"),
    "negative_prompt": ("4.inputs.text_g", "4.inputs.text_l"),
    "width": ("3.inputs.width", "3.inputs.target_width", "4.inputs.width", "4.inputs.target_width",
              "5.inputs.width"),
    "height": ("3.inputs.height", "3.inputs.target_height", "4.inputs.height", "4.inputs.target_height",
               "5.inputs.height"),
    "seed": ("6.inputs.seed",),
    "steps": ("6.inputs.steps",),
    "cfg_scale": ("6.inputs.cfg",),
    "sampler": ("6.inputs.sampler_name",),
    "scheduler": ("6.inputs.scheduler",),
    "batch_size": ("5.inputs.batch_size",),
})
BINDABLE_PARAMETERS = frozenset(DEFAULT_BINDINGS)
_BINDING_PATH = re.compile(r"^[A-Za-z0-9_:-]+\.inputs(\.[A-Za-z0-9_]+)+$")

# TOML section -> prefix of the AgentConfig fields it fills.
_SECTIONS = {"agent": "", "platform": "platform_", "server": "server_", "comfyui": "comfyui_", "cache": "cache_",
             "preview": "preview_", "retry": "retry_", "transfer": "transfer_"}
_ENV_OVERRIDES = {"VS_AGENT_API": "platform_url", "VS_AGENT_MODE": "mode", "VS_AGENT_BACKEND": "backend",
                  "VS_AGENT_COMFYUI_URL": "comfyui_url", "VS_AGENT_MODELS_DIR": "comfyui_models_dir",
                  "VS_AGENT_CACHE_DIR": "cache_dir"}


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class AgentConfig:
    mode: str = "pull"
    backend: str = "comfyui"
    platform_url: str = ""
    agent_key: str = field(default="", repr=False)
    platform_poll_timeout_seconds: float = 45.0  # the platform long-polls up to 20 s
    platform_error_backoff_seconds: float = 5.0
    platform_min_poll_interval_seconds: float = 1.0  # guards against a platform that answers empty at once
    server_enabled: bool = True
    server_host: str = "127.0.0.1"
    server_port: int = 8081
    comfyui_url: str = "http://127.0.0.1:8188"
    comfyui_models_dir: Path = Path("ComfyUI/models")
    comfyui_request_timeout_seconds: float = 30.0
    comfyui_history_poll_seconds: float = 1.0
    comfyui_execution_timeout_seconds: float = 900.0
    comfyui_per_step_timeout_seconds: float = 6.0
    comfyui_model_refresh_seconds: float = 15.0
    comfyui_expected_step_seconds: float = 0.5
    cache_dir: Path = Path("visionsuit-cache")
    cache_budget_bytes: int = 200 * 1024**3
    preview_fetch_models: bool = False
    retry_attempts: int = 6
    retry_base_delay_seconds: float = 0.5
    retry_max_delay_seconds: float = 30.0
    transfer_timeout_seconds: float = 60.0
    transfer_chunk_bytes: int = 1024 * 1024
    shutdown_grace_seconds: float = 30.0
    bindings: Mapping[str, tuple[str, ...]] = DEFAULT_BINDINGS
    workflow_bindings: Mapping[str, Mapping[str, tuple[str, ...]]] = MappingProxyType({})

    def bindings_for(self, workflow_name: str) -> Mapping[str, tuple[str, ...]]:
        """Bindings of a named workflow; the general table when that workflow has none of its own."""
        return self.workflow_bindings.get(workflow_name, self.bindings)

    @property
    def push_signing_key(self) -> bytes:
        """HMAC key of push requests: the platform stores only sha256(secret), so it signs with that."""
        return hashlib.sha256(agent_secret(self.agent_key).encode()).hexdigest().encode()

    def replace(self, **changes: Any) -> AgentConfig:
        return dataclasses.replace(self, **changes)


def agent_secret(key: str) -> str:
    """The secret part of ``vsa_<id>.<secret>``."""
    agent_id, separator, secret = key.removeprefix(KEY_PREFIX).partition(".")
    if not key.startswith(KEY_PREFIX) or not separator or not agent_id or not secret:
        raise ConfigError("the agent key must look like vsa_<id>.<secret> (shown once when the agent was registered)")
    return secret


def load_config(path: str | Path | None = None, *, env: Mapping[str, str] | None = None,
                overrides: Mapping[str, Any] | None = None) -> AgentConfig:
    """File values, then environment, then ``overrides`` (command line); validated."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    if path is not None:
        with open(path, "rb") as handle:
            values.update(_from_toml(tomllib.load(handle)))
    values.update({name: env[variable] for variable, name in _ENV_OVERRIDES.items() if env.get(variable)})
    if env.get("VS_AGENT_KEY"):
        values["agent_key"] = env["VS_AGENT_KEY"]
    values.update({name: value for name, value in (overrides or {}).items() if value is not None})
    return validate(AgentConfig(**_coerced(values)))


def validate(config: AgentConfig) -> AgentConfig:
    if config.mode not in MODES:
        raise ConfigError(f"mode must be one of {', '.join(MODES)}")
    if config.backend not in BACKENDS:
        raise ConfigError(f"backend must be one of {', '.join(BACKENDS)}")
    if config.mode == "pull" and not re.match(r"^https?://[^/]+", config.platform_url):
        raise ConfigError("pull mode needs platform.url (http or https origin of the VisionSuit API)")
    if config.mode == "push" and not config.server_enabled:
        raise ConfigError("push mode needs the server: the platform POSTs jobs to it")
    agent_secret(config.agent_key)
    if config.cache_budget_bytes <= 0 or config.retry_attempts < 1:
        raise ConfigError("cache.budget_bytes and retry.attempts must be positive")
    for table in (config.bindings, *config.workflow_bindings.values()):
        _check_bindings(table)
    return config


def _check_bindings(table: Mapping[str, tuple[str, ...]]) -> None:
    for parameter, paths in table.items():
        if parameter not in BINDABLE_PARAMETERS:
            raise ConfigError(f"unknown binding {parameter!r}; known: {', '.join(sorted(BINDABLE_PARAMETERS))}")
        for path in paths:
            if not _BINDING_PATH.match(path):
                raise ConfigError(f"binding {parameter} = {path!r} must look like '<node id>.inputs.<name>'")


def _from_toml(document: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for section, table in document.items():
        if section == "bindings":
            values["bindings"] = _binding_table(table, "bindings")
        elif section == "workflow_bindings":
            values["workflow_bindings"] = {name: _binding_table(sub, f"workflow_bindings.{name}")
                                           for name, sub in _table(table, section).items()}
        elif section in _SECTIONS:
            for key, value in _table(table, section).items():
                name = "agent_key" if (section, key) == ("platform", "key") else _SECTIONS[section] + key
                if name == "agent_key":
                    log.warning("platform.key in the config file: prefer the VS_AGENT_KEY environment variable")
                values[name] = value
        else:
            raise ConfigError(f"unknown config section [{section}]")
    return values


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"[{where}] must be a table")
    return value


def _binding_table(value: Any, where: str) -> dict[str, tuple[str, ...]]:
    table = {}
    for parameter, paths in _table(value, where).items():
        paths = [paths] if isinstance(paths, str) else paths
        if not isinstance(paths, list) or not all(isinstance(path, str) for path in paths):
            raise ConfigError(f"{where}.{parameter} must be a path or a list of paths")
        table[parameter] = tuple(paths)
    return table


_FIELD_DEFAULTS = {item.name: item.default for item in dataclasses.fields(AgentConfig)}


def _coerced(values: dict[str, Any]) -> dict[str, Any]:
    """Values converted to the type of each field's default; unknown names are typos, so errors."""
    coerced = {}
    for name, value in values.items():
        if name not in _FIELD_DEFAULTS:
            raise ConfigError(f"unknown setting {name!r}")
        default = _FIELD_DEFAULTS[name]
        try:
            coerced[name] = _convert(value, default)
        except (TypeError, ValueError) as error:
            raise ConfigError(f"setting {name!r}: {error}") from None
    return coerced


def _convert(value: Any, default: Any) -> Any:
    if isinstance(default, bool):
        if isinstance(value, str) and value.lower() in ("1", "true", "yes", "0", "false", "no"):
            return value.lower() in ("1", "true", "yes")
        if not isinstance(value, bool):
            raise TypeError("expected true or false")
        return value
    if isinstance(default, Path):
        return Path(value).expanduser()
    if isinstance(default, int | float) and isinstance(value, bool):
        raise TypeError("expected a number")
    if isinstance(default, int):
        return int(value)
    if isinstance(default, float):
        return float(value)
    if isinstance(default, Mapping):
        return MappingProxyType(dict(value))
    if isinstance(default, str):
        if not isinstance(value, str):
            raise TypeError("expected a string")
        return value
    return value
