"""Real-world and hostile formats through the whole pipeline (both tiers): several base models,
zip-packed models, A1111/ComfyUI/UserComment renders, and files that must end in ``error``."""
import io
import json
import zipfile

import pytest

from tests.fixtures import image_factory as img
from tests.fixtures import safetensors_factory as st
from tests.integration.conftest import wait_for
from tests.integration.test_uploads import _model_session, _model_status, _put


def _upload_model(user, model: bytes, name="model.safetensors", ctype="application/octet-stream"):
    body_files = [{"name": name, "size": len(model), "contentType": ctype},
                  {"name": "cover.png", "size": len(img.webp()), "contentType": "image/webp"}]
    r = user["api"].post("/api/uploads", json={"kind": "model", "title": "Format test", "triggerWords": ["fmt"],
                                                "files": body_files})
    assert r.status_code == 201, r.text
    session = r.json()["data"]
    _put(session["files"][0], model)
    _put(session["files"][1], img.webp())
    return wait_for(lambda: (s := _model_status(user, session["modelId"]))["status"] != "processing" and s, timeout=60)


@pytest.mark.parametrize("base", ["SD1.5", "SD2", "SDXL", "Flux"])
def test_base_model_detection_end_to_end(make_user, base):
    curator = make_user("CURATOR")
    done = _upload_model(curator, st.lora_bytes(base, metadata=st.kohya_metadata(base)))
    assert done["status"] == "ready", done
    meta = done["versions"][0]["metadata"]
    assert meta["baseModel"] == base and meta["kind"] == "lora"
    assert meta["network"]["dim"] == 4 and meta["tagFrequency"]


def test_zip_with_one_safetensors_is_unpacked(make_user):
    curator = make_user("CURATOR")
    model = st.lora_bytes("SDXL", metadata=st.kohya_metadata("SDXL"))
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("release/hero_style.safetensors", model)
        z.writestr("release/README.txt", "trigger: hero")
    done = _upload_model(curator, packed.getvalue(), name="hero.zip", ctype="application/zip")
    assert done["status"] == "ready", done
    version = done["versions"][0]
    import hashlib

    assert version["filename"] == "hero_style.safetensors" and version["size"] == len(model)
    assert version["hashes"]["sha256"] == hashlib.sha256(model).hexdigest().upper()


@pytest.mark.parametrize("hostile", ["length_beyond_file", "length_over_limit", "not_json", "deeply_nested",
                                     "overlapping_offsets", "hole_in_buffer", "wrong_byte_count", "duplicate_keys"])
def test_hostile_safetensors_end_in_error(make_user, hostile):
    curator = make_user("CURATOR")
    done = _upload_model(curator, getattr(st, hostile)())
    assert done["status"] == "error" and done["versions"][0]["status"] == "error"
    assert done["versions"][0]["error"]


def test_zip_bomb_and_zip_slip_end_in_error(make_user):
    curator = make_user("CURATOR")
    for members in ({"bomb.safetensors": bytes(50_000_000)}, {"../../etc/x.safetensors": st.lora_bytes("SD1.5")}):
        packed = io.BytesIO()
        with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in members.items():
                z.writestr(name, data)
        done = _upload_model(curator, packed.getvalue(), name="x.zip", ctype="application/zip")
        assert done["status"] == "error" and done["versions"][0]["error"]


def _upload_image(user, data: bytes, ctype: str, name: str):
    r = user["api"].post("/api/uploads", json={"kind": "images", "files": [{"name": name, "size": len(data),
                                                                             "contentType": ctype}]})
    assert r.status_code == 201, r.text
    f = r.json()["data"]["files"][0]
    _put(f, data)
    return wait_for(lambda: (s := user["api"].get(f"/api/images/{f['assetId']}/status").json()["data"])["status"]
                    != "processing" and s)


@pytest.mark.parametrize("factory,ctype,source", [
    (img.a1111_png, "image/png", "a1111"),
    (img.comfyui_png, "image/png", "comfyui"),
    (lambda: img.jpeg_with_user_comment(encoding="utf-16-le"), "image/jpeg", "a1111"),
    (lambda: img.webp_with_user_comment(encoding="utf-16-be"), "image/webp", "a1111"),
])
def test_render_metadata_end_to_end(make_user, factory, ctype, source):
    curator = make_user("CURATOR")
    status = _upload_image(curator, factory(), ctype, "render")
    assert status["status"] == "ready", status
    assert status["meta"]["source"] == source and status["meta"]["prompt"]
    assert set(status["previews"]) == {"grid", "preview"}


@pytest.mark.parametrize("factory,ctype", [
    (img.html_as_png, "image/png"), (img.svg_as_png, "image/png"), (img.gif, "image/png"),
    (img.truncated_png, "image/png"), (img.decompression_bomb_png, "image/png"),
])
def test_hostile_images_end_in_error(make_user, factory, ctype):
    curator = make_user("CURATOR")
    status = _upload_image(curator, factory(), ctype, "bad.png")
    assert status["status"] == "error" and status["error"]


def test_rotated_jpeg_thumbnail_is_upright(make_user):
    from PIL import Image

    from tests.integration.conftest import S3

    curator = make_user("CURATOR")
    data = img.rotated_jpeg()
    stored = Image.open(io.BytesIO(data))
    status = _upload_image(curator, data, "image/jpeg", "rotated.jpg")
    thumb = Image.open(io.BytesIO(S3.get(status["previews"]["preview"], timeout=10).content))
    # EXIF orientation 6 rotates by 90 degrees: width and height swap.
    assert (thumb.width > thumb.height) == (stored.height > stored.width)


def test_owner_can_fetch_the_raw_header(make_user):
    curator, other = make_user("CURATOR"), make_user()
    session = _model_session(curator, model=st.lora_bytes("SDXL", metadata=st.kohya_metadata("SDXL")), visibility="public")
    from tests.integration.test_uploads import PNG

    _put(session["files"][0], st.lora_bytes("SDXL", metadata=st.kohya_metadata("SDXL")))
    _put(session["files"][1], PNG)
    done = wait_for(lambda: (s := _model_status(curator, session["modelId"]))["status"] != "processing" and s)
    version = done["versions"][0]
    path = f"/api/models/{session['modelId']}/versions/{version['id']}/header"
    r = curator["api"].get(path, allow_redirects=False)
    assert r.status_code == 302
    from tests.integration.conftest import S3

    header = S3.get(r.headers["Location"], timeout=10).json()
    assert "__metadata__" in header
    assert other["api"].get(path, allow_redirects=False).status_code == 404


def test_oversized_metadata_is_trimmed_not_fatal(make_user):
    curator = make_user("CURATOR")
    metadata = {**st.kohya_metadata("SDXL"), "modelspec.architecture": "stable-diffusion-xl-v1-base/lora",
                "modelspec.title": "Big", "modelspec.thumbnail": "data:image/jpeg;base64," + "A" * 600_000,
                "ss_tag_frequency": json.dumps({"dir": {f"tag_{i}_" + "x" * 300: i for i in range(2000)}})}
    done = _upload_model(curator, st.lora_bytes("SDXL", metadata=metadata))
    assert done["status"] == "ready", done
    meta = done["versions"][0]["metadata"]
    assert "thumbnail" not in meta["modelspec"] and len(meta["tagFrequency"]) == 200


def test_bucket_lifecycle_expires_leftover_uploads(runtime):
    import boto3

    rules = boto3.client("s3").get_bucket_lifecycle_configuration(Bucket=runtime.env["VS_BUCKET_MEDIA"])["Rules"]
    assert any(r.get("Filter", {}).get("Prefix") == "incoming/" and r["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 3
               for r in rules)
