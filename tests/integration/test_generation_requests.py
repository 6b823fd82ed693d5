"""Generation requests over HTTP: the request, the assignment an agent receives, outputs becoming
private images of the requester, callbacks that must be refused, listing, cancel, retry, import."""
import hashlib

import pytest
import requests

from chalicelib import container
from chalicelib.security import signing
from tests.integration.conftest import assert_error, wait_for
from tests.integration.generation_helpers import (
    CHECKPOINT,
    HandAgent,
    clear_queue,
    configure,
    get_request,
    put_base_model,
    register_agent,
    request_body,
    upload_lora,
    wait_status,
)

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def setup(admin, make_user, base_url):
    curator = make_user("CURATOR")
    lora_id, lora_bytes = upload_lora(curator, title="Neon Glow", triggerWords=["neonglow", "glowing lines"])
    configure(admin, limits={"maxConcurrentPerUser": 10})
    yield {"base": put_base_model(admin), "lora": lora_id, "lora_bytes": lora_bytes, "curator": curator,
            "agent": HandAgent(base_url, register_agent(admin, "hand-agent"))}
    configure(admin, limits={"maxConcurrentPerUser": 2})


def _submit(user, body) -> dict:
    r = user["api"].post("/api/generator/requests", json=body)
    assert r.status_code == 202, r.text
    return r.json()["data"]


def test_request_to_private_images_with_metadata_and_links(setup, make_user, admin, api):
    clear_queue(admin)
    member = make_user()
    job = _submit(member, request_body(setup["base"], [setup["lora"]], seed=None))
    assert job["status"] == "pending" and isinstance(job["request"]["seed"], int)
    assert job["triggerWords"] == [{"modelId": setup["lora"], "words": ["neonglow", "glowing lines"]}]
    assert "key" not in str(job["request"]["baseModel"])

    assignment = setup["agent"].take(job["id"])
    assert assignment["kind"] == "generate" and assignment["attempt"] == 1
    assert assignment["heartbeatSeconds"] == 4 and len(assignment["outputs"]) == 1
    p = assignment["parameters"]
    assert (p["prompt"], p["seed"], p["width"], p["steps"]) == (job["request"]["prompt"], job["request"]["seed"], 512, 20)
    # The files are reachable through the presigned URLs only, and match the digests handed out.
    base = requests.get(assignment["baseModel"]["url"], timeout=30)
    assert base.status_code == 200 and hashlib.sha256(base.content).hexdigest() == assignment["baseModel"]["sha256"]
    assert hashlib.sha256(CHECKPOINT).hexdigest() == assignment["baseModel"]["sha256"]
    lora = assignment["loras"][0]
    assert lora["strength"] == 0.8 and lora["hash"] and lora["filename"].endswith(".safetensors")
    assert hashlib.sha256(requests.get(lora["url"], timeout=30).content).hexdigest() == lora["sha256"]
    workflow = requests.get(assignment["workflow"]["url"], timeout=30)
    assert hashlib.sha256(workflow.content).hexdigest() == assignment["workflow"]["sha256"]
    assert workflow.json()["2"]["class_type"] == "LoraLoader"

    assert HandAgent.call(assignment, "heartbeat", {"progress": 40, "stage": "running"}).status_code == 200
    running = get_request(member, job["id"])
    assert running["status"] == "running" and running["progress"] == 40 and running["stage"] == "running"
    HandAgent.upload(assignment)
    r = HandAgent.call(assignment, "complete", {"result": {"outputs": [{"index": 0}], "promptId": job["id"]}})
    assert r.status_code == 200, r.text
    done = wait_status(member, job["id"], "succeeded")
    # The finished job gave its concurrency slot back.
    assert member["api"].get("/api/generator/queue").json()["data"]["mine"] == {"active": 0, "today": 1}
    image_id = done["renderIds"][0]
    ready = wait_for(lambda: (i := member["api"].get(f"/api/images/{image_id}").json()["data"])["status"] == "ready" and i)
    assert ready["visibility"] == "private" and ready["owner"]["id"] == member["id"]
    assert ready["prompt"] == "a lighthouse at dusk, film grain" and ready["negativePrompt"] == "blurry"
    assert setup["lora"] in [res["modelId"] for res in ready["resources"]]
    assert get_request(member, job["id"])["renders"][0]["previews"]
    # Private: nobody else sees it.
    assert api.get(f"/api/images/{image_id}").status_code == 404
    assert make_user()["api"].get(f"/api/images/{image_id}").status_code == 404


def test_callbacks_that_must_be_refused(setup, make_user, admin, base_url):
    clear_queue(admin)
    member = make_user()
    first = _submit(member, request_body(setup["base"]))
    second = _submit(member, request_body(setup["base"]))
    a = setup["agent"].take(first["id"])
    b = setup["agent"].take(second["id"])
    # Forged: a signature for another job's path does not verify.
    url_a = a["callbacks"]["complete"]
    forged = url_a.replace(first["id"], second["id"])
    assert requests.post(forged, json={"result": {}}, timeout=30).status_code == 403
    # Tampered signature, missing signature.
    assert requests.post(url_a.replace("sig=", "sig=00"), json={"result": {}}, timeout=30).status_code == 403
    assert requests.post(url_a.split("?")[0], json={"result": {}}, timeout=30).status_code == 403
    # Expired: signed with the platform's key, but in the past.
    path = f"/api/generator/callbacks/{second['id']}/1/heartbeat"
    expired = signing.sign_url(container.config().callback_secret, base_url, "POST", path, -5)
    assert requests.post(expired, json={"progress": 1}, timeout=30).status_code == 403
    # Malformed bodies: a clear 400, nothing recorded.
    assert requests.post(b["callbacks"]["heartbeat"], json={"progress": 101}, timeout=30).status_code == 400
    assert requests.post(b["callbacks"]["fail"], data=b"{not json", timeout=30,
                         headers={"Content-Type": "application/json"}).status_code == 400
    # Claimed outputs that were never uploaded fail the job instead of publishing nothing.
    r = HandAgent.call(a, "complete", {"result": {"outputs": [{"index": 0}]}})
    assert r.status_code == 409
    assert wait_status(member, first["id"], "failed")["error"].startswith("Generation failed")
    assert wait_status(admin, first["id"], "failed")["agentError"].startswith("The agent reported outputs")
    # Replayed: a single-use URL works once.
    HandAgent.upload(b)
    assert HandAgent.call(b, "complete", {"result": {"outputs": [{"index": 0}]}}).status_code == 200
    assert HandAgent.call(b, "complete", {"result": {"outputs": [{"index": 0}]}}).status_code in (409, 410)
    wait_status(member, second["id"], "succeeded")
    # A late heartbeat never moves a finished job back.
    assert HandAgent.call(b, "heartbeat", {"progress": 5}).status_code == 410
    assert get_request(member, second["id"])["status"] == "succeeded"


def test_agent_failure_reason_is_kept_for_admins_and_masked_for_members(setup, make_user, admin):
    clear_queue(admin)
    member = make_user()
    job = _submit(member, request_body(setup["base"]))
    a = setup["agent"].take(job["id"])
    r = HandAgent.call(a, "fail", {"error": "Value not in list: ckpt_name", "reasonCode": "VALIDATION_ERROR",
                                    "nodeErrors": {"1": {"errors": [{"type": "value_not_in_list"}]}}})
    assert r.status_code == 200
    mine = wait_status(member, job["id"], "failed")
    assert "ckpt_name" not in str(mine)
    full = get_request(admin, job["id"])
    assert "VALIDATION_ERROR" in full["agentError"] and "value_not_in_list" in full["agentError"]
    log = admin["api"].get("/api/generator/failures").json()["data"]
    assert job["id"] in [j["id"] for j in log]
    assert_error(member["api"].get("/api/generator/failures"), 403, "FORBIDDEN")
    # The admin may run it again, as a new request of the same member.
    retry = admin["api"].post(f"/api/generator/requests/{job['id']}/retry", json={})
    assert retry.status_code == 202 and retry.json()["data"]["retryOf"] == job["id"]
    assert retry.json()["data"]["ownerId"] == member["id"]
    assert_error(member["api"].post(f"/api/generator/requests/{job['id']}/retry", json={}), 403, "FORBIDDEN")
    clear_queue(admin)


def test_cancel_stops_the_execution_and_the_agent_learns_it(setup, make_user, admin):
    clear_queue(admin)
    member = make_user()
    job = _submit(member, request_body(setup["base"]))
    a = setup["agent"].take(job["id"])
    assert HandAgent.call(a, "heartbeat", {"progress": 10, "stage": "running"}).status_code == 200
    assert_error(make_user()["api"].post(f"/api/generator/requests/{job['id']}/cancel", json={}), 404, "NOT_FOUND")
    r = member["api"].post(f"/api/generator/requests/{job['id']}/cancel", json={})
    assert r.status_code == 200 and r.json()["data"]["status"] == "cancelled"
    # The next heartbeat tells the agent to stop (it then interrupts ComfyUI).
    assert HandAgent.call(a, "heartbeat", {"progress": 20}).status_code == 410
    assert_error(member["api"].post(f"/api/generator/requests/{job['id']}/cancel", json={}), 409, "CONFLICT")
    # The output slots it had are gone with it.
    assert wait_for(lambda: not container.catalog().images.get_many(get_request(member, job["id"])["renderIds"]))


def test_pending_requests_list_page_and_clear(setup, make_user, admin):
    clear_queue(admin)
    member = make_user()
    ids = [_submit(member, request_body(setup["base"], prompt=f"prompt {n}"))["id"] for n in range(5)]
    seen, cursor = [], None
    while True:
        r = member["api"].get("/api/generator/requests", params={"pageSize": 2, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        seen += [j["id"] for j in r.json()["data"]]
        cursor = r.json()["meta"]["cursor"]
        if not cursor:
            break
    assert seen == ids[::-1]
    pending = member["api"].get("/api/generator/requests", params={"status": "pending,queued"}).json()["data"]
    assert {j["id"] for j in pending} == set(ids)
    assert_error(member["api"].get("/api/generator/requests", params={"status": "pending,bogus"}), 400,
                 "VALIDATION_ERROR")
    assert_error(member["api"].get("/api/generator/requests", params={"scope": "all"}), 403, "FORBIDDEN")
    assert_error(member["api"].get("/api/generator/requests", params={"cursor": "garbage!"}), 400, "VALIDATION_ERROR")
    everyone = admin["api"].get("/api/generator/requests", params={"scope": "all", "pageSize": 100}).json()["data"]
    assert set(ids) <= {j["id"] for j in everyone}
    # Telemetry: counts, never prompts.
    queue = member["api"].get("/api/generator/queue").json()["data"]
    assert queue["counts"]["pending"] >= 5 and queue["mine"]["active"] == 5
    assert "prompt" not in str(queue)
    assert_error(member["api"].post("/api/generator/queue/clear", json={}), 403, "FORBIDDEN")
    cleared = admin["api"].post("/api/generator/queue/clear", json={}).json()["data"]
    assert cleared["cleared"] >= 5
    assert all(get_request(member, i)["status"] == "cancelled" for i in ids)
    # Their concurrency slots are free again.
    assert member["api"].get("/api/generator/queue").json()["data"]["mine"]["active"] == 0


def test_import_renders_into_a_new_public_gallery(setup, make_user, admin, api):
    clear_queue(admin)
    curator = setup["curator"]
    job = _submit(curator, request_body(setup["base"], [setup["lora"]]))
    a = setup["agent"].take(job["id"])
    HandAgent.upload(a)
    assert HandAgent.call(a, "complete", {"result": {"outputs": [{"index": 0}]}}).status_code == 200
    done = wait_status(curator, job["id"], "succeeded")
    image_id = done["renderIds"][0]
    wait_for(lambda: get_request(curator, job["id"])["renders"][0]["status"] == "ready")
    assert_error(curator["api"].post(f"/api/generator/requests/{job['id']}/import", json={"mode": "new"}), 400,
                 "VALIDATION_ERROR", "galleryTitle")
    assert_error(curator["api"].post(f"/api/generator/requests/{job['id']}/import",
                                     json={"mode": "new", "galleryTitle": "x", "imageIds": ["0" * 32]}),
                 400, "VALIDATION_ERROR", "imageIds")
    r = curator["api"].post(f"/api/generator/requests/{job['id']}/import",
                            json={"mode": "new", "galleryTitle": "Dusk renders", "galleryVisibility": "public"})
    assert r.status_code == 200, r.text
    gallery_id = r.json()["data"]["galleryId"]
    assert r.json()["data"]["added"] == 1
    assert api.get(f"/api/images/{image_id}").json()["data"]["visibility"] == "public"
    entries = api.get(f"/api/galleries/{gallery_id}").json()["data"]
    assert image_id in str(entries)
    # Importing again is harmless.
    again = curator["api"].post(f"/api/generator/requests/{job['id']}/import",
                                json={"mode": "existing", "galleryId": gallery_id})
    assert again.status_code == 200 and again.json()["data"]["added"] == 0
    # Members keep their renders in their images: galleries are curators'.
    member = make_user()
    mine = _submit(member, request_body(setup["base"]))
    assert_error(member["api"].post(f"/api/generator/requests/{mine['id']}/import",
                                    json={"mode": "new", "galleryTitle": "x"}), 403, "FORBIDDEN")
    clear_queue(admin)


def test_a_render_that_is_not_a_png_ends_as_an_error_not_an_image(setup, make_user, admin):
    clear_queue(admin)
    member = make_user()
    job = _submit(member, request_body(setup["base"]))
    a = setup["agent"].take(job["id"])
    HandAgent.upload(a, png=b"\x89PNG\r\n\x1a\n not really a png")
    assert HandAgent.call(a, "complete", {"result": {"outputs": [{"index": 0}]}}).status_code == 200
    wait_status(member, job["id"], "succeeded")
    render = wait_for(lambda: (r := get_request(member, job["id"])["renders"][0])["status"] != "processing" and r)
    assert render["status"] == "error" and render["error"]
