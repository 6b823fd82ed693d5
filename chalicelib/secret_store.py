"""Secrets from SSM Parameter Store: the one place that builds an SSM client.

On AWS the template gives each function only the NAME of a parameter (``VS_<SECRET>_PARAM``;
SecureString, except the origin-verify value CloudFront must resolve, which is a String); the value
is fetched once per container, decrypted, and cached.
Locally (``make dev``, tests) the value itself arrives in ``VS_<SECRET>`` instead.
"""
from __future__ import annotations

import threading

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.errors import ConfigurationError

_cache: dict[str, str] = {}
_lock = threading.Lock()


def parameter(name: str) -> str:
    """The decrypted value of the SecureString parameter ``name`` (cached for the process)."""
    with _lock:
        if name not in _cache:
            try:
                response = boto3.session.Session().client("ssm").get_parameter(Name=name, WithDecryption=True)
            except (ClientError, BotoCoreError) as e:
                raise ConfigurationError(f"secret parameter {name} could not be read") from e
            _cache[name] = response["Parameter"]["Value"]
        return _cache[name]


def forget() -> None:
    """Drop cached values (tests; a rotated secret is picked up by new containers anyway)."""
    with _lock:
        _cache.clear()
