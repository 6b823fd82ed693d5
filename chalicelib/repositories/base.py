"""Shared PynamoDB plumbing: table names and region from the environment, conditional writes."""
from __future__ import annotations

import os
from collections.abc import Callable

from pynamodb.exceptions import DeleteError, PutError, UpdateError

from chalicelib.config import resource_env


def table_name(logical: str) -> str:
    # Read at import: Lambda containers and the local runtime set the environment first.
    return os.environ.get(resource_env("TABLE", logical), f"unconfigured-{logical}")


def region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def table_meta(logical: str) -> type:
    """The PynamoDB ``Meta`` of a model stored in the logical table ``logical``."""
    return type("Meta", (), {"table_name": table_name(logical), "region": region()})


def conditional(write: Callable[[], object]) -> bool:
    """Run a conditional put/update/delete; False when DynamoDB rejected it on its condition."""
    try:
        write()
        return True
    except (PutError, UpdateError, DeleteError) as e:
        if e.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
