"""Catalog records written straight through the repositories (and indexed), for tests that need
many assets quickly; end-to-end upload paths are covered by test_uploads/test_ingest."""
from __future__ import annotations

import itertools
import time
import uuid

from chalicelib import container
from chalicelib.models import ImageAsset, ModelAsset, ModelVersion

_clock = itertools.count()


def _now() -> float:
    # Strictly increasing creation times, so "newest" orders are unambiguous across seeds.
    return time.time() + next(_clock) / 1000


def seed_model(owner_id: str, **fields) -> ModelAsset:
    c = container.catalog()
    model_id = uuid.uuid4().hex
    version_id = uuid.uuid4().hex
    now = fields.pop("created_at", None) or _now()
    values = dict(title="Seeded model", status="ready", visibility="public", created_at=now, updated_at=now,
                  primary_version_id=version_id)
    values.update(fields)
    model = ModelAsset(id=model_id, owner_id=owner_id, **values)
    c.models.save(model)
    c.versions.save(ModelVersion(id=version_id, model_id=model_id, name="v1", status="ready", filename="seed.safetensors",
                                 key=f"assets/models/{model_id}/seed.safetensors", created_at=now, updated_at=now,
                                 metadata={"tagFrequency": {"1girl": 12, "smile": 5}}))
    container.search_indexer().refresh("model", model_id)
    return model


def seed_image(owner_id: str, **fields) -> ImageAsset:
    now = fields.pop("created_at", None) or _now()
    values = dict(title="Seeded image", status="ready", key="", filename="seed.png", visibility="public",
                  created_at=now, updated_at=now)
    values.update(fields)
    image = ImageAsset(id=uuid.uuid4().hex, owner_id=owner_id, **values)
    container.catalog().images.save(image)
    container.search_indexer().refresh("image", image.id)
    return image
