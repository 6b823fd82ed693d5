import re
from typing import Annotated, Literal

import pydantic

from chalicelib import container, presenters
from chalicelib.api.params import record_id
from chalicelib.api.routing import ApiModel, Result, Router, parse_body
from chalicelib.errors import NotFound
from chalicelib.models import JobStatus, Role
from chalicelib.pagination import decode_cursor, encode_cursor, page_meta
from chalicelib.services.generation_service import GenerationRequest, ImportRequest, LoraChoice

router = Router(__name__, "generator")

JOB = {"job_id": record_id}


def agent_id(value: str) -> str:
    if not re.fullmatch(r"[0-9a-f]{12}", value):
        raise ValueError(value)
    return value

Slug = pydantic.constr(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")
Name = pydantic.constr(pattern=r"^[a-z0-9_]{1,64}$")
RecordId = pydantic.constr(pattern=r"^[0-9a-f]{32}$")


def _plain_endpoint(value):
    if value.username or value.password or value.query or value.fragment:
        raise ValueError("endpoint must be a plain http(s) URL without credentials, query or fragment")
    return value


# Push mode: where the platform POSTs assignments (the agent's /jobs lives under it).
Endpoint = Annotated[pydantic.AnyHttpUrl, pydantic.AfterValidator(_plain_endpoint)]


class RegisterAgentBody(ApiModel):
    name: pydantic.constr(min_length=1, max_length=80)
    endpoint: Endpoint | None = None


class UpdateAgentBody(ApiModel):
    enabled: bool | None = None
    endpoint: Endpoint | None = None
    pull_mode: bool = pydantic.Field(False, description="true: forget the endpoint (the agent polls instead)")


class HeartbeatBody(ApiModel):
    progress: pydantic.conint(ge=0, le=100) = 0
    stage: Literal["preparing", "downloading", "queued", "running", "uploading"] | None = None
    message: pydantic.constr(max_length=500) | None = None


class CompleteBody(ApiModel):
    result: dict = {}


class FailBody(ApiModel):
    error: pydantic.constr(max_length=2000)
    reason_code: Literal["VALIDATION_ERROR", "TRANSIENT_ERROR", "TIMEOUT", "CANCELED", "SYSTEM_ERROR"] = "SYSTEM_ERROR"
    retryable: bool = False
    node_errors: dict | None = None


CALLBACK_BODIES = {"heartbeat": HeartbeatBody, "complete": CompleteBody, "fail": FailBody}


class LoraBody(ApiModel):
    model_id: RecordId
    strength: pydantic.confloat(ge=-2, le=2, allow_inf_nan=False) = 1.0


class GenerationBody(ApiModel):
    base_model: Slug
    loras: pydantic.conlist(LoraBody, max_length=12) = []
    prompt: pydantic.constr(min_length=1, max_length=4000)
    negative_prompt: pydantic.constr(max_length=4000) = ""
    seed: pydantic.conint(ge=0, le=2**32 - 1) | None = None
    cfg_scale: pydantic.confloat(ge=0, le=100, allow_inf_nan=False) | None = None
    steps: pydantic.conint(ge=1, le=1000) | None = None
    width: pydantic.conint(ge=8, le=16384) | None = None
    height: pydantic.conint(ge=8, le=16384) | None = None
    sampler: Name | None = None
    scheduler: Name | None = None
    batch_size: pydantic.conint(ge=1, le=16) = 1
    client_request_id: pydantic.constr(pattern=r"^[A-Za-z0-9_-]{8,64}$") | None = pydantic.Field(
        None, description="Makes the submit idempotent: the same id again returns the first request")


class RequestsQuery(ApiModel):
    scope: Literal["mine", "all"] = "mine"
    status: pydantic.constr(pattern=r"^[a-z_]+(,[a-z_]+){0,7}$") | None = None
    cursor: pydantic.constr(max_length=1000) | None = None
    page_size: pydantic.conint(ge=1, le=100) = 24

    @pydantic.field_validator("status")
    @classmethod
    def _known(cls, value):
        if value is not None and any(s not in JobStatus.ALL for s in value.split(",")):
            raise ValueError(f"status must be a comma-separated list of {', '.join(JobStatus.ALL)}")
        return value


class FailuresQuery(ApiModel):
    cursor: pydantic.constr(max_length=1000) | None = None
    page_size: pydantic.conint(ge=1, le=200) = 50


class ImportBody(ApiModel):
    mode: Literal["existing", "new"]
    gallery_id: RecordId | None = None
    gallery_title: pydantic.constr(min_length=1, max_length=160) | None = None
    gallery_description: pydantic.constr(max_length=2000) = ""
    gallery_visibility: Literal["public", "private"] = "private"
    image_ids: pydantic.conlist(RecordId, min_length=1, max_length=16) | None = None


@router.route("/generator/agents", "POST", summary="Register a GPU agent (pull, or push with an endpoint); its key "
              "is shown once", role=Role.ADMIN, body=RegisterAgentBody, status=201)
def register_agent(ctx):
    endpoint = str(ctx.body.endpoint) if ctx.body.endpoint else None
    agent, token = container.generator_service().register_agent(ctx.body.name, endpoint, ctx.user)
    return Result({"agent": presenters.agent(agent), "token": token}, status=201)


@router.route("/generator/agents", summary="Registered GPU agents with their online and busy state", role=Role.ADMIN)
def list_agents(ctx):
    service = container.generator_service()
    return [presenters.agent(a, service.is_online(a)) for a in service.agents()]


@router.route("/generator/agents/{agent_id}", "PATCH", summary="Enable/disable an agent or change its push endpoint",
              role=Role.ADMIN, body=UpdateAgentBody, path_params={"agent_id": agent_id})
def update_agent(ctx):
    b = ctx.body
    agent = container.generator_service().update_agent(ctx.user, ctx.path_params["agent_id"], b.enabled,
                                                       str(b.endpoint) if b.endpoint else None, b.pull_mode)
    return presenters.agent(agent)


@router.route("/generator/diagnostics", "POST", summary="Run a pipeline self-test job through queue, agent and callbacks",
              role=Role.ADMIN, status=202)
def start_diagnostic(ctx):
    job = container.generator_service().start_diagnostic(ctx.user)
    return Result(presenters.job(job, ctx.user), status=202)


@router.route("/generator/jobs/{job_id}", summary="Status, progress and history of a job", role=Role.USER,
              path_params=JOB)
def get_job(ctx):
    return presenters.job(container.generator_service().get(ctx.user, ctx.path_params["job_id"]), ctx.user)


@router.route("/generator/jobs/{job_id}/cancel", "POST", summary="Cancel a job (owner or admin)", role=Role.USER,
              path_params=JOB)
def cancel_job(ctx):
    return presenters.job(container.generator_service().cancel(ctx.user, ctx.path_params["job_id"]), ctx.user)


@router.route("/generator/requests", "POST", summary="Ask for a render: base model, up to 12 LoRAs, prompt and "
              "sampling parameters (seed returned; trigger words of the LoRAs suggested)", role=Role.USER,
              body=GenerationBody, status=202)
def create_request(ctx):
    b = ctx.body
    req = GenerationRequest(b.base_model, b.prompt, [LoraChoice(lora.model_id, lora.strength) for lora in b.loras],
                            b.negative_prompt, b.seed, b.cfg_scale, b.steps, b.width, b.height, b.sampler,
                            b.scheduler, b.batch_size, b.client_request_id)
    job = container.generation_service().create(ctx.user, req)
    return Result(presenters.generation_job(job, [], ctx.user), status=202)


@router.route("/generator/requests", summary="My generation requests (all for admins with scope=all), newest first",
              role=Role.USER, query=RequestsQuery)
def list_requests(ctx):
    q = ctx.query
    fingerprint = {"scope": q.scope, "status": q.status}
    statuses = tuple(q.status.split(",")) if q.status else None
    jobs, last = container.generation_service().page(ctx.user, q.scope, statuses, decode_cursor(q.cursor, fingerprint),
                                                     q.page_size)
    return Result([presenters.generation_job(j, [], ctx.user, summary=True) for j in jobs],
                  meta=page_meta(encode_cursor(last, fingerprint), q.page_size))


@router.route("/generator/requests/{job_id}", summary="A request: status history, progress, renders, error",
              role=Role.USER, path_params=JOB)
def get_request(ctx):
    view = container.generation_service().view(ctx.user, ctx.path_params["job_id"])
    return presenters.generation_job(view.job, view.renders, ctx.user)


@router.route("/generator/requests/{job_id}/cancel", "POST", summary="Cancel a request (owner or admin); a running "
              "render is interrupted on the GPU", role=Role.USER, path_params=JOB)
def cancel_request(ctx):
    job = container.generator_service().cancel(ctx.user, ctx.path_params["job_id"])
    return presenters.generation_job(job, [], ctx.user)


@router.route("/generator/requests/{job_id}/retry", "POST", summary="Run a failed request again as a new request",
              role=Role.ADMIN, path_params=JOB, status=202)
def retry_request(ctx):
    job = container.generation_service().retry(ctx.user, ctx.path_params["job_id"])
    return Result(presenters.generation_job(job, [], ctx.user), status=202)


@router.route("/generator/requests/{job_id}/import", "POST", summary="Publish renders into an existing or a new "
              "gallery of their owner", role=Role.CURATOR, body=ImportBody, path_params=JOB)
def import_renders(ctx):
    b = ctx.body
    req = ImportRequest(b.mode, b.gallery_id, b.gallery_title, b.gallery_description, b.gallery_visibility,
                        b.image_ids)
    gallery, report = container.generation_service().import_renders(ctx.user, ctx.path_params["job_id"], req)
    return {"galleryId": gallery.id, "added": report.count, "items": report.items}


@router.route("/generator/queue", summary="Queue telemetry: counts, agents online and busy, pause state, my usage "
              "(never other people's requests)", role=Role.USER)
def queue(ctx):
    return presenters.queue_view(container.generation_service().queue_view(ctx.user))


@router.route("/generator/queue/clear", "POST", summary="Cancel every request not started yet", role=Role.ADMIN)
def clear_queue(ctx):
    return container.generation_service().clear_pending(ctx.user)


@router.route("/generator/failures", summary="Failure log: failed and timed-out jobs, newest first, with detail",
              role=Role.ADMIN, query=FailuresQuery)
def failures(ctx):
    q = ctx.query
    fingerprint = {"log": "failures"}
    jobs, last = container.generation_service().failures(decode_cursor(q.cursor, fingerprint), q.page_size)
    return Result([presenters.generation_job(j, [], ctx.user, summary=True) for j in jobs],
                  meta=page_meta(encode_cursor(last, fingerprint), q.page_size))


@router.route("/generator/agent/poll", "POST", summary="GPU agent: long-poll for the next job",
              role=None, security="agent")
def agent_poll(ctx):
    service = container.generator_service()
    agent = service.authenticate_agent(ctx.headers.get("authorization"))
    return service.poll(agent, container.config().agent_poll_wait_seconds)


@router.route("/generator/callbacks/{job_id}/{attempt}/{action}", "POST",
              summary="GPU agent: signed heartbeat/complete/fail callback", role=None, security="signed",
              maintenance_exempt=True, path_params={"attempt": int})
def agent_callback(ctx):
    service = container.generator_service()
    # The signature is checked before the body is even parsed: strangers learn nothing.
    signed = service.verify_callback(ctx.path, ctx.query_params)
    action = ctx.path_params["action"]
    if action not in CALLBACK_BODIES:
        raise NotFound("Unknown callback")
    body = parse_body(ctx.raw_body, CALLBACK_BODIES[action])
    return service.callback(signed, ctx.path_params["job_id"], ctx.path_params["attempt"], action,
                            body.model_dump(by_alias=True))
