"""The bulk-import CLI against the running platform: skips, batches of 12, resume after a failure."""
import json

import pytest

from chalicelib.bulk_import import STATE_FILE, import_library, main
from chalicelib.uploader import ApiError, Uploader
from infra.local.seed import demo_png, demo_safetensors
from tests.integration.conftest import wait_for


def _library(root, counts):
    (root / "loras").mkdir()
    for n, (name, images) in enumerate(counts.items()):
        (root / "loras" / f"{name}.safetensors").write_bytes(demo_safetensors(rank=10 + n))
        if images:
            folder = root / "images" / name
            folder.mkdir(parents=True)
            for i in range(images):
                (folder / f"{i:03d}.png").write_bytes(demo_png(8, 8, tint=i))
    (root / "images" / "stray.txt").write_text("not an image")


def test_import_skips_batches_and_resumes(make_user, base_url, tmp_path):
    curator = make_user("CURATOR")
    _library(tmp_path, {"alpha_style": 14, "beta_style": 3, "no_images": 0})
    uploader = Uploader(base_url, curator["token"])
    calls = {"n": 0}
    real = uploader.upload

    def flaky(kind, files, **fields):
        calls["n"] += 1
        if calls["n"] == 3:  # model alpha, its first batch, then the second batch fails
            raise ApiError(503, None)
        return real(kind, files, **fields)

    uploader.upload = flaky
    with pytest.raises(ApiError):
        import_library(uploader, tmp_path, "public")
    state = json.loads((tmp_path / STATE_FILE).read_text())
    assert state["models"]["alpha_style"]["batches"] == 1
    uploader.upload = real
    report = import_library(uploader, tmp_path, "public")
    assert report["skipped"] == ["no_images"] and report["resumed"] == 1 and report["models"] == 1
    assert report["images"] == 2 + 3  # the rest of alpha (14 = 12 + 2) and all of beta
    state = json.loads((tmp_path / STATE_FILE).read_text())
    assert state["models"]["alpha_style"]["batches"] == 2 and state["models"]["beta_style"]["batches"] == 1
    # Everything arrived once: the gallery holds the model and its 14 renders.
    from chalicelib import container

    entries = container.catalog().entries.entries(state["models"]["alpha_style"]["galleryId"])
    assert [k for k, _ in entries].count("image") == 14 and [k for k, _ in entries].count("model") == 1
    # A third run has nothing left to do.
    again = import_library(uploader, tmp_path, "public")
    assert again["models"] == 0 and again["images"] == 0


def test_a_session_interrupted_mid_upload_is_finished_not_duplicated(make_user, base_url, tmp_path):
    curator = make_user("CURATOR")
    _library(tmp_path, {"gamma_style": 2})
    uploader = Uploader(base_url, curator["token"])
    real_send = uploader._send
    sent = {"n": 0}

    def crash_after_first_file(session_id, described, source):
        sent["n"] += 1
        if sent["n"] == 2:  # the model file went up, the cover did not
            raise ApiError(503, None)
        return real_send(session_id, described, source)

    uploader._send = crash_after_first_file
    with pytest.raises(ApiError):
        import_library(uploader, tmp_path, "public")
    pending = json.loads((tmp_path / STATE_FILE).read_text())["models"]["gamma_style"]["pending"]["model"]
    uploader._send = real_send
    report = import_library(uploader, tmp_path, "public")
    assert report["models"] == 1 and report["images"] == 2
    state = json.loads((tmp_path / STATE_FILE).read_text())["models"]["gamma_style"]
    assert state["modelId"] == pending["modelId"] and not state["pending"]
    from chalicelib import container

    models = container.catalog().models.query("by-owner", curator["id"])
    assert len(models) == 1  # finished, not uploaded twice
    assert wait_for(lambda: container.catalog().models.get(pending["modelId"]).status == "ready")


def test_cli_requires_a_token_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("VS_TOKEN", raising=False)
    with pytest.raises(SystemExit, match="VS_TOKEN"):
        main([str(tmp_path), "--api", "http://127.0.0.1:1"])
