import pydantic

from chalicelib import container, presenters
from chalicelib.api.routing import ApiModel, Result, Router, parse_body
from chalicelib.errors import NotFound
from chalicelib.models import Role

router = Router(__name__, "generator")


class RegisterAgentBody(ApiModel):
    name: pydantic.constr(min_length=1, max_length=80)


class HeartbeatBody(ApiModel):
    progress: pydantic.conint(ge=0, le=100) = 0
    message: pydantic.constr(max_length=500) | None = None


class CompleteBody(ApiModel):
    result: dict = {}


class FailBody(ApiModel):
    error: pydantic.constr(max_length=2000)
    retryable: bool = False


CALLBACK_BODIES = {"heartbeat": HeartbeatBody, "complete": CompleteBody, "fail": FailBody}


@router.route("/generator/agents", "POST", summary="Register a GPU agent; its key is shown once",
              role=Role.ADMIN, body=RegisterAgentBody, status=201)
def register_agent(ctx):
    agent, token = container.generator_service().register_agent(ctx.body.name)
    return Result({"agent": presenters.agent(agent), "token": token}, status=201)


@router.route("/generator/diagnostics", "POST", summary="Run a pipeline self-test job through queue, agent and callbacks",
              role=Role.ADMIN, status=202)
def start_diagnostic(ctx):
    job = container.generator_service().start_diagnostic(ctx.user)
    return Result(presenters.job(job, ctx.user), status=202)


@router.route("/generator/jobs/{job_id}", summary="Status, progress and history of a job", role=Role.USER)
def get_job(ctx):
    return presenters.job(container.generator_service().get(ctx.user, ctx.path_params["job_id"]), ctx.user)


@router.route("/generator/jobs/{job_id}/cancel", "POST", summary="Cancel a job (owner or admin)", role=Role.USER)
def cancel_job(ctx):
    return presenters.job(container.generator_service().cancel(ctx.user, ctx.path_params["job_id"]), ctx.user)


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
                            body.model_dump())
