"""Who may call each /api/generator route, from one table: guest, member, curator, the request's
owner, another member, admin. Side-effect-free calls only (no pause, no settings change)."""
import pytest

from tests.integration.conftest import Api
from tests.integration.generation_helpers import put_base_model, request_body

pytestmark = pytest.mark.timeout(180)

# route -> expected status per caller; "owner" is the member who made the request under test.
MATRIX = [
    ("GET", "/api/generator/settings", None, {"guest": 401, "member": 200, "curator": 200, "admin": 200}),
    ("GET", "/api/generator/queue", None, {"guest": 401, "member": 200, "curator": 200, "admin": 200}),
    ("GET", "/api/generator/requests", None, {"guest": 401, "member": 200, "curator": 200, "admin": 200}),
    ("GET", "/api/generator/requests?scope=all", None, {"guest": 401, "member": 403, "curator": 403, "admin": 200}),
    ("GET", "/api/generator/failures", None, {"guest": 401, "member": 403, "curator": 403, "admin": 200}),
    ("GET", "/api/generator/blocks", None, {"guest": 401, "member": 403, "curator": 403, "admin": 200}),
    ("GET", "/api/generator/agents", None, {"guest": 401, "member": 403, "curator": 403, "admin": 200}),
    ("POST", "/api/generator/agents", {"name": "matrix"}, {"guest": 401, "member": 403, "curator": 403}),
    ("POST", "/api/generator/diagnostics", {}, {"guest": 401, "member": 403, "curator": 403}),
    ("POST", "/api/generator/queue/clear", {}, {"guest": 401, "member": 403, "curator": 403}),
    ("POST", "/api/generator/queue/pause", {}, {"guest": 401, "member": 403, "curator": 403}),
    ("PUT", "/api/generator/settings", {}, {"guest": 401, "member": 403, "curator": 403}),
    ("GET", "/api/generator/requests/{job}", None,
     {"guest": 401, "member": 404, "curator": 404, "owner": 200, "admin": 200}),
    ("GET", "/api/generator/jobs/{job}", None, {"guest": 401, "member": 404, "curator": 404, "owner": 200, "admin": 200}),
    ("POST", "/api/generator/requests/{job}/retry", {}, {"guest": 401, "member": 403, "curator": 403, "owner": 403}),
    ("POST", "/api/generator/requests/{job}/import", {"mode": "new", "galleryTitle": "x"},
     {"guest": 401, "member": 403, "curator": 404, "owner": 403}),
    ("POST", "/api/generator/requests/{job}/cancel", {}, {"guest": 401, "member": 404, "curator": 404}),
]


@pytest.fixture(scope="module")
def callers(make_user, admin, base_url):
    owner = make_user()
    base = put_base_model(admin)
    r = owner["api"].post("/api/generator/requests", json=request_body(base))
    assert r.status_code == 202, r.text
    return {"guest": Api(base_url), "member": make_user()["api"], "curator": make_user("CURATOR")["api"],
            "owner": owner["api"], "admin": admin["api"], "job": r.json()["data"]["id"]}


@pytest.mark.parametrize("method,path,body,expected", MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
def test_generator_route_permissions(callers, method, path, body, expected):
    url = path.replace("{job}", callers["job"])
    for who, status in expected.items():
        kwargs = {"json": body} if body is not None else {}
        r = getattr(callers[who], method.lower())(url, **kwargs)
        assert r.status_code == status, f"{who} {method} {url}: {r.status_code} {r.text[:300]}"
    # The request under test is untouched by everything above.
    assert callers["owner"].get(f"/api/generator/requests/{callers['job']}").json()["data"]["status"] in (
        "pending", "queued", "dispatched", "running", "timed_out")
