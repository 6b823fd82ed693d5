"""Generation jobs: start executions, hand task tokens to GPU agents, take their signed callbacks.

Step Functions waits on a task token that never leaves the platform: the agent pulls a job
through the API, gets HMAC-signed callback URLs bound to (job, attempt, action), and the API
answers Step Functions with the stored token. Job state is written here (claims, progress) and
by the job-events consumer (final outcomes); every write is a monotonic conditional update.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid

from chalicelib.errors import Conflict, Gone, NotFound, Unauthorized
from chalicelib.messaging import TaskTokenGone
from chalicelib.models import Agent, Job, JobStatus, Role, User
from chalicelib.security import signing

AGENT_TOKEN_PREFIX = "vsa_"
CALLBACK_ACTIONS = ("heartbeat", "complete", "fail")
SINGLE_USE_ACTIONS = ("complete", "fail")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class GeneratorService:
    def __init__(self, jobs, agents, nonces, queue, orchestrator, reports, *, callback_secret, public_url,
                 callback_ttl: int, job_timeout: int, clock=time.time) -> None:
        self._jobs = jobs
        self._agents = agents
        self._nonces = nonces
        self._queue = queue
        self._orchestrator = orchestrator
        self._reports = reports  # where scheduled runs file their report (settings service)
        self._callback_secret = callback_secret  # callable, resolved lazily
        self._public_url = public_url  # callable
        self._callback_ttl = callback_ttl
        self._job_timeout = job_timeout
        self._clock = clock

    # -- agents ---------------------------------------------------------------------------
    def register_agent(self, name: str) -> tuple[Agent, str]:
        agent_id, secret = uuid.uuid4().hex[:12], secrets.token_urlsafe(32)
        agent = Agent(agent_id, name, _digest(secret), self._clock())
        self._agents.create(agent)
        return agent, f"{AGENT_TOKEN_PREFIX}{agent_id}.{secret}"

    def authenticate_agent(self, authorization: str | None) -> Agent:
        scheme, _, token = (authorization or "").partition(" ")
        agent_id, _, secret = token.strip().removeprefix(AGENT_TOKEN_PREFIX).partition(".")
        agent = self._agents.get(agent_id) if scheme.lower() == "bearer" and agent_id and secret else None
        if agent is None or not agent.enabled or not hmac.compare_digest(agent.secret_hash, _digest(secret)):
            raise Unauthorized("Unknown or disabled agent")
        return agent

    # -- jobs -----------------------------------------------------------------------------
    def start_diagnostic(self, requester: User) -> Job:
        """A job that exercises the whole pipeline without a GPU: queue, agent, callbacks, outcome."""
        now = self._clock()
        job = Job(uuid.uuid4().hex, requester.id, "diagnostic", JobStatus.QUEUED, now, now, now + self._job_timeout)
        self._jobs.create(job)
        arn = self._orchestrator.start(job.id, {"jobId": job.id})
        self._jobs.set_execution(job.id, arn)
        job.execution_arn = arn
        return job

    def get(self, viewer: User, job_id: str) -> Job:
        job = self._jobs.get(job_id)
        if job is None or (job.owner_id != viewer.id and viewer.role < Role.ADMIN):
            raise NotFound("Job not found")
        return job

    def cancel(self, viewer: User, job_id: str) -> Job:
        job = self.get(viewer, job_id)
        if job.status in JobStatus.TERMINAL:
            raise Conflict(f"Job already {job.status}")
        self._jobs.transition(job.id, JobStatus.CANCELLED, self._clock(), error="Cancelled by user")
        if job.execution_arn:
            self._orchestrator.stop(job.execution_arn, "cancelled")
        return self._jobs.get(job.id)

    # -- agent intake ---------------------------------------------------------------------
    def poll(self, agent: Agent, wait_seconds: int) -> dict | None:
        """Long-poll the dispatch queue for one job this agent can take."""
        self._agents.touch(agent.id, self._clock())
        deadline = self._clock() + wait_seconds
        while True:
            remaining = max(0, int(deadline - self._clock()))
            message = self._queue.receive(remaining)
            if message is None:
                return None
            job = self._jobs.claim(message.job_id, agent.id, message.task_token, self._clock())
            if job is None:
                # Cancelled or finished meanwhile: tell Step Functions, drop the message.
                try:
                    self._orchestrator.fail(message.task_token, "Job.Cancelled", "job is no longer active")
                except TaskTokenGone:
                    pass
                self._queue.delete(message.receipt_handle)
                if remaining == 0:
                    return None
                continue
            try:
                self._orchestrator.heartbeat(message.task_token)
            except TaskTokenGone:
                self._queue.delete(message.receipt_handle)
                continue
            self._queue.delete(message.receipt_handle)
            return self._assignment(job)

    def _assignment(self, job: Job) -> dict:
        urls = {}
        for action in CALLBACK_ACTIONS:
            path = f"/api/generator/callbacks/{job.id}/{job.attempt}/{action}"
            urls[action] = signing.sign_url(self._callback_secret(), self._public_url(), "POST", path,
                                            self._callback_ttl, self._clock())
        return {"jobId": job.id, "kind": job.kind, "attempt": job.attempt, "callbacks": urls}

    def verify_callback(self, path: str, query: dict) -> signing.SignedRequest:
        return signing.verify_request(self._callback_secret(), "POST", path, query, self._clock())

    def callback(self, signed: signing.SignedRequest, job_id: str, attempt: int, action: str, body: dict) -> dict:
        if action not in CALLBACK_ACTIONS:
            raise NotFound("Unknown callback")
        job = self._jobs.get(job_id)
        if job is None:
            raise NotFound("Job not found")
        if job.attempt != attempt:
            raise Gone("This callback belongs to an earlier attempt")
        if job.status in JobStatus.TERMINAL or job.task_token is None:
            raise Gone(f"Job already {job.status}")
        if action in SINGLE_USE_ACTIONS and not self._nonces.claim(f"callback#{signed.nonce}", signed.expires_at + 60):
            raise Conflict("Callback URL already used")
        now = self._clock()
        try:
            if action == "heartbeat":
                self._jobs.transition(job.id, JobStatus.RUNNING, now, same_rank_ok=True, expected_attempt=attempt,
                                      progress=int(body.get("progress", job.progress)))
                self._orchestrator.heartbeat(job.task_token)
            elif action == "complete":
                self._orchestrator.succeed(job.task_token, {"agentId": job.agent_id, "attempt": attempt, **body.get("result", {})})
            else:
                error = "Agent.Transient" if body.get("retryable") else "Agent.Failed"
                message = str(body.get("error", ""))[:2000]
                self._jobs.record_agent_error(job.id, attempt, message)
                self._orchestrator.fail(job.task_token, error, message)
        except TaskTokenGone:
            raise Gone("The job is no longer waiting for this agent") from None
        return {"accepted": True, "cancel": False}

    # -- outcomes (job-events consumer) and housekeeping ---------------------------------
    def record_outcome(self, job_id: str, outcome: str, result: dict | None, error: dict | None) -> bool:
        status = {"succeeded": JobStatus.SUCCEEDED, "timed_out": JobStatus.TIMED_OUT, "failed": JobStatus.FAILED}.get(outcome)
        if status is None:
            raise ValueError(f"unknown outcome {outcome!r}")
        fields = {"progress": 100} if status == JobStatus.SUCCEEDED else {}
        if result is not None:
            fields["result"] = result
        if error is not None:
            fields["error"] = f"{error.get('Error', 'Error')}: {str(error.get('Cause', ''))[:500]}"
        return self._jobs.transition(job_id, status, self._clock(), task_token=None, **fields)

    def sweep_overdue(self, limit: int, trigger: str | None = None) -> dict:
        """Fail jobs still active past their deadline (lost executions, crashed consumers).

        Idempotent: a job already terminal is skipped by the conditional transition."""
        now, swept = self._clock(), []
        for status in JobStatus.ACTIVE:
            for job in self._jobs.overdue(status, now, limit - len(swept)):
                if self._jobs.transition(job.id, JobStatus.TIMED_OUT, now, error="Deadline passed"):
                    if job.execution_arn:
                        self._orchestrator.stop(job.execution_arn, "deadline passed")
                    swept.append(job.id)
            if len(swept) >= limit:
                break
        report = {"swept": swept, "count": len(swept), "limit": limit, "ranAt": now, "trigger": trigger}
        self._reports.record_schedule_run("sweep-jobs", report)
        return report

