"""Generation jobs: admit them to executions, hand task tokens to GPU agents, take their signed callbacks.

Step Functions waits on a task token that never leaves the platform: an agent gets a job through
the API (pull) or from the push dispatcher, with HMAC-signed callback URLs bound to (job, attempt,
action), and the API answers Step Functions with the stored token. Executions start only when an
agent is ready (``admit_next``), so a token never ages in the dispatch queue behind a backlog.
Job state is written here (admission, claims, progress, cancellation) and by the job-events
consumer (final outcomes); every write is a monotonic conditional update, and whatever ends a job
calls ``_finished`` exactly once through the transition that won.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass

from chalicelib.errors import Conflict, Gone, NotFound, Unauthorized
from chalicelib.messaging import TaskTokenGone
from chalicelib.models import Agent, Job, JobStatus, Role, User
from chalicelib.security import signing

AGENT_TOKEN_PREFIX = "vsa_"
CALLBACK_ACTIONS = ("heartbeat", "complete", "fail")
SINGLE_USE_ACTIONS = ("complete", "fail")
PUSH_BACKOFF_SECONDS = 2
ONLINE_GRACE_SECONDS = 15


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass
class QueueTelemetry:
    counts: dict[str, int]
    agents_online: int
    agents_busy: int
    paused: bool
    decline_new: bool


class GeneratorService:
    def __init__(self, jobs, agents, nonces, queue, orchestrator, reports, *, callback_secret, public_url,
                 callback_ttl: int, job_timeout: int, poll_wait: int, generation=None, uploads=None,
                 queue_switch=None, pusher=None, audit=None, clock=time.time) -> None:
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
        self._poll_wait = poll_wait
        # Resolved lazily (callables): they depend on this service themselves.
        self._generation = generation or (lambda: None)
        self._uploads = uploads or (lambda: None)
        self._queue_switch = queue_switch or (lambda: None)
        self._pusher = pusher
        self._audit = audit
        self._clock = clock

    # -- agents ---------------------------------------------------------------------------
    def register_agent(self, name: str, endpoint: str | None = None, actor: User | None = None) -> tuple[Agent, str]:
        agent_id, secret = uuid.uuid4().hex[:12], secrets.token_urlsafe(32)
        agent = Agent(agent_id, name, _digest(secret), self._clock(), endpoint=endpoint)
        self._agents.create(agent)
        if actor is not None and self._audit:
            self._audit.record(actor, "generator.agent.register", "agent", agent_id,
                               {"name": name, "mode": "push" if endpoint else "pull"})
        return agent, f"{AGENT_TOKEN_PREFIX}{agent_id}.{secret}"

    def authenticate_agent(self, authorization: str | None) -> Agent:
        scheme, _, token = (authorization or "").partition(" ")
        agent_id, _, secret = token.strip().removeprefix(AGENT_TOKEN_PREFIX).partition(".")
        agent = self._agents.get(agent_id) if scheme.lower() == "bearer" and agent_id and secret else None
        if agent is None or not agent.enabled or not hmac.compare_digest(agent.secret_hash, _digest(secret)):
            raise Unauthorized("Unknown or disabled agent")
        return agent

    def agents(self) -> list[Agent]:
        return self._agents.all()

    def update_agent(self, actor: User, agent_id: str, enabled: bool | None, endpoint: str | None,
                     clear_endpoint: bool) -> Agent:
        """Disable (a leaked key, a retired box) or re-point an agent; a disabled agent's key stops working
        at once and push dispatch skips it."""
        if self._agents.get(agent_id) is None or agent_id.startswith("#"):
            raise NotFound("Agent not found")
        fields = {}
        if enabled is not None:
            fields["enabled"] = enabled
        if endpoint is not None or clear_endpoint:
            fields["endpoint"] = endpoint
        if fields:
            self._agents.update(agent_id, **fields)
            if self._audit:
                self._audit.record(actor, "generator.agent.update", "agent", agent_id,
                                   {k: v for k, v in fields.items()})
        return self._agents.get(agent_id)

    def is_online(self, agent: Agent, now: float | None = None) -> bool:
        now = self._clock() if now is None else now
        if not agent.enabled or agent.last_seen_at is None:
            return False
        # Pull agents come back at least every poll wait; push agents are seen when they answer.
        grace = self._poll_wait + ONLINE_GRACE_SECONDS if not agent.endpoint else 300
        return now - agent.last_seen_at <= grace

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
        """Stops the execution at once; the agent learns it from its next heartbeat (410) and
        interrupts ComfyUI."""
        job = self.get(viewer, job_id)
        if job.status in JobStatus.TERMINAL:
            raise Conflict(f"Job already {job.status}")
        by_admin = job.owner_id != viewer.id
        reason = "Cancelled by an administrator" if by_admin else "Cancelled by user"
        if not self._jobs.transition(job.id, JobStatus.CANCELLED, self._clock(), error=reason, task_token=None):
            raise Conflict("The job finished meanwhile")
        if job.execution_arn:
            self._orchestrator.stop(job.execution_arn, "cancelled")
        self._finished(job.id)
        if by_admin and self._audit:
            self._audit.record(viewer, "generator.cancel", "job", job.id, {"owner": job.owner_id})
        return self._jobs.get(job.id)

    def finish_cancelled(self, job: Job, reason: str) -> bool:
        """Cancel a job nobody has started yet (admin clear)."""
        if not self._jobs.transition(job.id, JobStatus.CANCELLED, self._clock(), expected_status=JobStatus.PENDING,
                                     error=reason):
            return False
        self._finished(job.id)
        return True

    def _finished(self, job_id: str) -> None:
        job = self._jobs.get(job_id)
        if job is None:
            return
        if job.agent_id:
            self._agents.set_idle(job.agent_id, job.id)
        generation = self._generation()
        if job.kind == "generate" and generation is not None:
            generation.finished(job)

    def discard_renders(self, session) -> None:
        try:
            self._uploads().discard(session, "aborted")
        except Conflict:
            pass  # closed meanwhile (completed or already discarded)

    # -- admission and intake ---------------------------------------------------------------
    def admit_next(self) -> Job | None:
        """Start the execution of the oldest pending request, unless the queue is paused."""
        switch = self._queue_switch()
        if switch is not None and switch.queue().paused:
            return None
        now = self._clock()
        for job in self._jobs.oldest(JobStatus.PENDING, 5):
            if not self._jobs.admit(job.id, now, now + self._job_timeout):
                continue  # another agent admitted it
            try:
                arn = self._orchestrator.start(job.id, {"jobId": job.id})
            except Exception:
                if self._jobs.transition(job.id, JobStatus.FAILED, self._clock(), error="The execution did not start"):
                    self._finished(job.id)
                raise
            self._jobs.set_execution(job.id, arn)
            return job
        return None

    def _next_message(self, deadline: float):
        """The next dispatch message, admitting at most one pending job while the queue is empty."""
        admitted = False
        while True:
            remaining = deadline - self._clock()
            message = self._queue.receive(1 if remaining >= 1 else 0)
            if message is not None:
                return message
            if not admitted and self.admit_next() is not None:
                admitted = True
                continue
            if remaining <= 0:
                return None

    def _claim(self, message, agent: Agent) -> tuple[Job, dict] | None:
        """Claim the job of a dispatch message for ``agent``; None when it is no longer to be run."""
        job = self._jobs.claim(message.job_id, agent.id, message.task_token, self._clock())
        if job is None:
            # Cancelled or finished meanwhile: tell Step Functions, drop the message.
            try:
                self._orchestrator.fail(message.task_token, "Job.Cancelled", "job is no longer active")
            except TaskTokenGone:
                pass
            self._queue.delete(message.receipt_handle)
            return None
        try:
            self._orchestrator.heartbeat(message.task_token)
            assignment = self._assignment(job)
        except TaskTokenGone:
            self._queue.delete(message.receipt_handle)
            return None
        except ValueError as e:  # the request can no longer run (a model was hidden since)
            self._jobs.record_agent_error(job.id, job.attempt, str(e))
            try:
                self._orchestrator.fail(message.task_token, "Job.Invalid", str(e))
            except TaskTokenGone:
                pass
            self._queue.delete(message.receipt_handle)
            return None
        return job, assignment

    def poll(self, agent: Agent, wait_seconds: int) -> dict | None:
        """Long-poll the dispatch queue for one job this agent can take."""
        now = self._clock()
        self._agents.touch(agent.id, now)
        deadline = now + wait_seconds
        while True:
            message = self._next_message(deadline)
            if message is None:
                return None
            claimed = self._claim(message, agent)
            if claimed is None:
                continue
            job, assignment = claimed
            self._queue.delete(message.receipt_handle)
            self._agents.update(agent.id, current_job_id=job.id)
            return assignment

    def push_dispatch(self, budget_seconds: float) -> dict:
        """Hand jobs to idle push agents (POST <endpoint>/jobs) until none is idle or the budget is spent.
        A busy or unreachable agent is skipped for a few seconds and the job goes to the next one."""
        deadline, pushed, refused = self._clock() + budget_seconds, [], 0
        if not any(a.endpoint and a.enabled for a in self._agents.all()):
            return {"pushed": pushed, "refused": refused}  # a pull-only fleet: nothing to do, nothing to read
        self._keep_parked_alive()
        while self._clock() < deadline:
            now = self._clock()
            idle = [a for a in self._agents.all() if a.endpoint and a.enabled and not a.current_job_id
                    and (a.busy_until or 0) <= now]
            if not idle:
                break
            message = self._next_message(min(deadline, now + 1))
            if message is None:
                break
            agent = idle[0]
            claimed = self._claim(message, agent)
            if claimed is None:
                continue
            job, assignment = claimed
            outcome = self._pusher.push(agent.endpoint, agent.secret_hash, assignment)
            if outcome == "accepted":
                self._queue.delete(message.receipt_handle)
                self._agents.update(agent.id, current_job_id=job.id, last_seen_at=self._clock())
                pushed.append(job.id)
                continue
            refused += 1
            self._jobs.release_claim(job.id, job.attempt, agent.id, self._clock())
            self._agents.update(agent.id, busy_until=self._clock() + PUSH_BACKOFF_SECONDS)
            self._queue.release(message.receipt_handle)
        return {"pushed": pushed, "refused": refused}

    def _keep_parked_alive(self) -> None:
        """Jobs a push agent refused wait in the dispatch queue with a live task token: heartbeat them,
        or the state machine would time them out while every agent is busy."""
        for job in self._jobs.oldest(JobStatus.QUEUED, 50):
            if job.task_token:
                try:
                    self._orchestrator.heartbeat(job.task_token)
                except TaskTokenGone:
                    pass

    def _assignment(self, job: Job) -> dict:
        urls = {}
        for action in CALLBACK_ACTIONS:
            path = f"/api/generator/callbacks/{job.id}/{job.attempt}/{action}"
            urls[action] = signing.sign_url(self._callback_secret(), self._public_url(), "POST", path,
                                            self._callback_ttl, self._clock())
        assignment = {"jobId": job.id, "kind": job.kind, "attempt": job.attempt, "callbacks": urls,
                      "expiresAt": int(self._clock() + self._callback_ttl)}
        if job.kind == "generate":
            assignment.update(self._generation().prepare(job, job.attempt))
        return assignment

    # -- callbacks --------------------------------------------------------------------------
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
        if job.status not in (JobStatus.DISPATCHED, JobStatus.RUNNING):
            raise Gone("This attempt was handed back before it started")
        if action in SINGLE_USE_ACTIONS and not self._nonces.claim(f"callback#{signed.nonce}", signed.expires_at + 60):
            raise Conflict("Callback URL already used")
        now = self._clock()
        try:
            if action == "heartbeat":
                self._jobs.progress(job, attempt, now, int(body.get("progress") or 0), body.get("stage"))
                self._orchestrator.heartbeat(job.task_token)
            elif action == "complete":
                self._complete(job, attempt, body.get("result") or {})
            else:
                self._fail(job, attempt, body)
        except TaskTokenGone:
            raise Gone("The job is no longer waiting for this agent") from None
        return {"accepted": True, "cancel": False}

    def _complete(self, job: Job, attempt: int, result: dict) -> None:
        output = {"agentId": job.agent_id, "attempt": attempt}
        if job.kind == "generate":
            claimed = [o.get("index") for o in result.get("outputs") or [] if isinstance(o.get("index"), int)]
            present = self._generation().verify_outputs(job, claimed)
            if not present or len(present) != len(set(claimed)):
                missing = sorted(set(claimed) - set(present))
                message = f"The agent reported outputs that were not uploaded: {missing or 'none reported'}"
                self._jobs.record_agent_error(job.id, attempt, message)
                self._orchestrator.fail(job.task_token, "Agent.Failed", message)
                raise Conflict(message)
            output.update(outputs=present, promptId=str(result.get("promptId") or "")[:100],
                          warnings=[str(w)[:300] for w in (result.get("warnings") or [])[:10]])
        else:
            output.update({k: v for k, v in result.items() if k not in output})
        self._orchestrator.succeed(job.task_token, output)

    def _fail(self, job: Job, attempt: int, body: dict) -> None:
        error = "Agent.Transient" if body.get("retryable") else "Agent.Failed"
        reason = body.get("reasonCode") or "SYSTEM_ERROR"
        message = f"{reason}: {str(body.get('error', ''))[:2000]}"
        if body.get("nodeErrors"):
            message += f" (node errors: {str(body['nodeErrors'])[:1500]})"
        self._jobs.record_agent_error(job.id, attempt, message)
        self._orchestrator.fail(job.task_token, error, message)

    # -- outcomes (job-events consumer) and housekeeping ---------------------------------
    def record_outcome(self, job_id: str, outcome: str, result: dict | None, error: dict | None) -> Job | None:
        """Apply a terminal outcome from the state machine; the job as recorded, or None when the event was
        late or a duplicate (nothing changed)."""
        status = {"succeeded": JobStatus.SUCCEEDED, "timed_out": JobStatus.TIMED_OUT, "failed": JobStatus.FAILED}.get(outcome)
        if status is None:
            raise ValueError(f"unknown outcome {outcome!r}")
        fields = {"progress": 100, "stage": "done"} if status == JobStatus.SUCCEEDED else {}
        if result is not None:
            fields["result"] = result
        if error is not None:
            fields["error"] = f"{error.get('Error', 'Error')}: {str(error.get('Cause', ''))[:500]}"
        if not self._jobs.transition(job_id, status, self._clock(), task_token=None, **fields):
            return None
        self._finished(job_id)
        return self._jobs.get(job_id)

    def sweep_overdue(self, limit: int, trigger: str | None = None) -> dict:
        """Fail jobs still active past their deadline (lost executions, crashed consumers, requests
        nobody admitted). Idempotent: a job already terminal is skipped by the conditional transition."""
        now, swept, failures, more = self._clock(), [], [], False
        for status in JobStatus.ACTIVE:
            try:
                overdue = self._jobs.overdue(status, now, limit - len(swept))
            except Exception as e:
                failures.append(f"query {status}: {type(e).__name__}: {e}")
                continue
            for job in overdue:
                # One job that fails (an execution that cannot be stopped, a slot release) is counted
                # and the run goes on; its transition already happened, so the next run skips it.
                try:
                    if not self._jobs.transition(job.id, JobStatus.TIMED_OUT, now, error="Deadline passed",
                                                 task_token=None):
                        continue
                    swept.append(job.id)
                    try:
                        if job.execution_arn:
                            self._orchestrator.stop(job.execution_arn, "deadline passed")
                    finally:
                        self._finished(job.id)  # the slot and the agent are released even if the stop failed
                except Exception as e:
                    failures.append(f"job {job.id}: {type(e).__name__}: {e}")
            if len(swept) >= limit:
                more = True
                break
        report = {"swept": swept, "count": len(swept), "limit": limit, "ranAt": now, "trigger": trigger,
                  "more": more, "errors": len(failures), "errorSamples": [f[:300] for f in failures[:5]]}
        self._reports.record_schedule_run("sweep-jobs", report)
        return report

    def telemetry(self) -> QueueTelemetry:
        """Counts only: never another user's prompt or parameters."""
        now = self._clock()
        counts = {status: self._jobs.count(status) for status in JobStatus.ACTIVE}
        agents = [a for a in self._agents.all() if self.is_online(a, now)]
        switch = self._queue_switch()
        state = switch.queue() if switch is not None else None
        return QueueTelemetry(counts, len(agents), sum(1 for a in agents if a.current_job_id),
                              bool(state and state.paused), bool(state and state.decline_new))
