"""Shared PynamoDB plumbing: table names and region from the environment, nothing else."""
from __future__ import annotations

import os


def table_name(logical: str) -> str:
    # Read at import: Lambda containers and the local runtime set the environment first.
    return os.environ.get("VS_TABLE_" + logical.upper().replace("-", "_"), f"unconfigured-{logical}")


def region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
