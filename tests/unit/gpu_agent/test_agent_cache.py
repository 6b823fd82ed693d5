import hashlib
import os

import pytest

from gpu_agent.cache import CHECKPOINT, LORA, ModelCache, ModelFile, cache_key, visible_name
from gpu_agent.errors import JobFailure, ReasonCode
from gpu_agent.retry import RetryPolicy


@pytest.fixture
def make_cache(tmp_path):
    def make(budget=10**9):
        return ModelCache(tmp_path / "cache", tmp_path / "models", budget, retry=RetryPolicy(3, 0.01, 0.02),
                          chunk_bytes=256)
    return make


def _file(platform, name, content, kind=LORA, sha="auto"):
    url = platform.add_file(name, content)
    digest = hashlib.sha256(content).hexdigest() if sha == "auto" else sha
    return ModelFile(kind, name, url, len(content), digest)


def _loras(tmp_path):
    return sorted(path.name for path in (tmp_path / "models" / "loras").iterdir())


def test_download_is_verified_and_exposed_under_a_safe_name(platform, make_cache, tmp_path):
    cache = make_cache()
    content = os.urandom(3000)
    file = _file(platform, "Neon Glow.safetensors", content)
    progress = []
    with cache.use([file], progress=lambda done, total: progress.append((done, total))) as [model]:
        assert model.visible_name == f"Neon_Glow-{hashlib.sha256(content).hexdigest()[:12]}.safetensors"
        assert model.path == tmp_path / "models" / "loras" / model.visible_name
        assert model.path.read_bytes() == content
    assert progress[-1] == (3000, 3000) and len(progress) > 1
    assert cache.used_bytes == 3000
    with cache.use([file]):
        pass
    assert len(platform.file_gets) == 1, "a cached file is not fetched again"
    assert ModelCache(tmp_path / "cache", tmp_path / "models", 10**9).contains(model.key), "the index survives restarts"


def test_hash_mismatch_deletes_the_download_and_fails_validation(platform, make_cache, tmp_path):
    cache = make_cache()
    file = _file(platform, "bad.safetensors", b"tampered" * 100, sha="ab" * 32)
    with pytest.raises(JobFailure) as raised, cache.use([file]):
        pass
    assert raised.value.reason_code == ReasonCode.VALIDATION_ERROR and not raised.value.retryable
    assert not list((tmp_path / "cache" / "blobs").iterdir()) and not list((tmp_path / "cache" / "tmp").iterdir())
    assert _loras(tmp_path) == [] and cache.used_bytes == 0


def test_short_download_is_a_transient_error(platform, make_cache):
    content = b"x" * 500
    url = platform.add_file("short.safetensors", content)
    file = ModelFile(LORA, "short.safetensors", url, 400, None)
    with pytest.raises(JobFailure) as raised, make_cache().use([file]):
        pass
    assert raised.value.reason_code == ReasonCode.TRANSIENT_ERROR and raised.value.retryable


def test_broken_connection_resumes_with_a_range_request(platform, make_cache):
    content = os.urandom(4096)
    file = _file(platform, "big.safetensors", content)
    platform.broken_once.add("big.safetensors")
    with make_cache().use([file]) as [model]:
        assert model.path.read_bytes() == content
    assert platform.file_gets[0] == ("big.safetensors", None)
    assert platform.file_gets[1][1] == "bytes=2048-"


def test_missing_file_is_a_validation_error(platform, make_cache):
    file = ModelFile(LORA, "gone.safetensors", f"{platform.url}/files/gone.safetensors?sig=1", 10, "cd" * 32)
    with pytest.raises(JobFailure) as raised, make_cache().use([file]):
        pass
    assert raised.value.reason_code == ReasonCode.VALIDATION_ERROR


def test_loras_are_evicted_least_recently_used_first(platform, make_cache, tmp_path):
    cache = make_cache(budget=3000)
    a, b, c, d = (_file(platform, f"{name}.safetensors", os.urandom(1000)) for name in "abcd")
    for file in (a, b, c, a):  # a is used again, so b becomes the oldest
        with cache.use([file]):
            pass
    with cache.use([d]):
        pass
    assert {name.split("-")[0] for name in _loras(tmp_path)} == {"a", "c", "d"}
    assert not cache.contains(cache_key(b)[0]) and cache.used_bytes == 3000


def test_base_models_are_pinned_and_overflow_is_reported(platform, make_cache, tmp_path):
    cache = make_cache(budget=2500)
    base = _file(platform, "base.safetensors", os.urandom(2000), kind=CHECKPOINT)
    lora = _file(platform, "style.safetensors", os.urandom(1000))
    with cache.use([base]):
        pass
    warnings = []
    with cache.use([lora], warnings=warnings):
        pass
    other = _file(platform, "other.safetensors", os.urandom(1000))
    with cache.use([other], warnings=warnings):
        pass
    assert [path.name.split("-")[0] for path in (tmp_path / "models" / "checkpoints").iterdir()] == ["base"]
    assert [name.split("-")[0] for name in _loras(tmp_path)] == ["other"], "the older LoRA made room"
    assert any("over its budget" in warning for warning in warnings)


def test_files_of_the_running_job_are_never_evicted(platform, make_cache, tmp_path):
    cache = make_cache(budget=2500)
    files = [_file(platform, f"{name}.safetensors", os.urandom(1000)) for name in "xyz"]
    warnings = []
    with cache.use(files, warnings=warnings) as models:
        assert all(model.path.read_bytes() for model in models)
        assert len(_loras(tmp_path)) == 3
    assert any("over its budget" in warning for warning in warnings)
    later = _file(platform, "later.safetensors", os.urandom(1000))
    with cache.use([later]):
        pass
    assert cache.used_bytes <= 2500, "once released, they are evictable again"


def test_without_sha256_files_are_keyed_by_url_path_and_size(platform, make_cache):
    cache = make_cache()
    content = os.urandom(700)
    first_url = platform.add_file("plain.safetensors", content)
    file = ModelFile(CHECKPOINT, "plain.safetensors", first_url, 700, None)
    same_object_new_signature = ModelFile(CHECKPOINT, "plain.safetensors", first_url.split("?")[0] + "?X-Amz-Signature=other",
                                          700, None)
    warnings = []
    with cache.use([file], warnings=warnings) as [model]:
        assert not model.verified
    with cache.use([same_object_new_signature]) as [again]:
        assert again.key == model.key
    assert len(platform.file_gets) == 1
    assert warnings and "not verified" in warnings[0]
    assert cache_key(ModelFile(CHECKPOINT, "plain.safetensors", first_url, 701, None))[0] != model.key


@pytest.mark.parametrize("filename, stem", [
    ("../../etc/passwd", "passwd"),
    ("..\\..\\Windows\\evil.safetensors", "evil"),
    ("neon glow?<v2>.SAFETENSORS", "neon_glow_v2"),
    (".hidden.safetensors", "hidden"),
    ("ネオン.safetensors", "model"),
    ("", "model"),
    ("/abs/path/model.ckpt", "model"),
])
def test_visible_names_are_sanitised(filename, stem):
    key = "f" * 64
    name = visible_name(filename, key)
    assert name.startswith(f"{stem}-ffffffffffff.")
    assert "/" not in name and "\\" not in name and not name.startswith(".")
    assert name.endswith((".safetensors", ".ckpt"))


def test_invalid_sha256_is_refused():
    with pytest.raises(JobFailure, match="64 hex"):
        cache_key(ModelFile(LORA, "a.safetensors", "http://x/a", 1, "../../etc"))
