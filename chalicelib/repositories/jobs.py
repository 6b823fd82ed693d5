"""Generation jobs with monotonic status transitions enforced by conditional writes."""
from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.exceptions import DoesNotExist
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.models import Job, JobStatus
from chalicelib.repositories.base import conditional, table_meta

LISTING = "job"  # constant partition of the admin's "all jobs" index
FAILURE = "failed"  # set only on failed/timed-out jobs: the sparse failure-log index


def _index(name: str, hash_attr: str, range_attr: str, range_cls=NumberAttribute):
    meta = type("Meta", (), {"index_name": name, "projection": AllProjection()})
    attrs = {"Meta": meta, hash_attr: UnicodeAttribute(hash_key=True), range_attr: range_cls(range_key=True)}
    return type(f"Index_{name.replace('-', '_')}", (GlobalSecondaryIndex,), attrs)()


class JobItem(Model):
    Meta = table_meta("jobs")

    pk = UnicodeAttribute(hash_key=True)
    owner_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    status = UnicodeAttribute()
    rank = NumberAttribute()
    created_at = NumberAttribute()
    updated_at = NumberAttribute()
    deadline = NumberAttribute()
    attempt = NumberAttribute(default=0)
    agent_id = UnicodeAttribute(null=True)
    progress = NumberAttribute(default=0)
    task_token = UnicodeAttribute(null=True)
    execution_arn = UnicodeAttribute(null=True)
    result = MapAttribute(null=True)
    error = UnicodeAttribute(null=True)
    agent_error = UnicodeAttribute(null=True)
    history = ListAttribute(default=list)
    request = JSONAttribute(null=True)
    renders = ListAttribute(default=list)
    stage = UnicodeAttribute(null=True)
    retry_of = UnicodeAttribute(null=True)
    slot_held = BooleanAttribute(default=False)
    listing = UnicodeAttribute(default=LISTING)
    failure = UnicodeAttribute(null=True)
    by_status_deadline = _index("by-status-deadline", "status", "deadline")
    by_owner = _index("by-owner", "owner_id", "created_at")
    by_created = _index("by-created", "listing", "created_at")
    by_failure = _index("by-failure", "failure", "updated_at")


def _plain(value):
    return value.as_dict() if isinstance(value, MapAttribute) else value


def _to_domain(item: JobItem) -> Job:
    return Job(
        id=item.pk, owner_id=item.owner_id, kind=item.kind, status=item.status,
        created_at=float(item.created_at), updated_at=float(item.updated_at), deadline=float(item.deadline),
        attempt=int(item.attempt or 0), agent_id=item.agent_id, progress=int(item.progress or 0),
        task_token=item.task_token, execution_arn=item.execution_arn, result=_plain(item.result),
        error=item.error, agent_error=item.agent_error, history=[_plain(h) for h in (item.history or [])],
        request=item.request, renders=list(item.renders or []), stage=item.stage, retry_of=item.retry_of,
        slot_held=bool(item.slot_held),
    )


def _start_key(item: JobItem, index_hash: str, index_range: str) -> dict:
    """The exclusive start key of a GSI query, in DynamoDB's wire format."""
    return {"pk": {"S": item.pk}, index_hash: {"S": getattr(item, index_hash)},
            index_range: {"N": repr(float(getattr(item, index_range)))}}


def _history(status: str, now: float, **extra) -> list:
    return [{"status": status, "at": now, **extra}]


class JobRepository:
    def create(self, job: Job) -> bool:
        """False when a job with this id exists (a retried request with the same client id)."""
        return conditional(lambda: JobItem(
            job.id, owner_id=job.owner_id, kind=job.kind, status=job.status, rank=JobStatus.RANK[job.status],
            created_at=job.created_at, updated_at=job.updated_at, deadline=job.deadline,
            history=_history(job.status, job.created_at), request=job.request, renders=job.renders,
            retry_of=job.retry_of, slot_held=job.slot_held,
        ).save(condition=JobItem.pk.does_not_exist()))

    def get(self, job_id: str) -> Job | None:
        try:
            return _to_domain(JobItem.get(job_id, consistent_read=True))
        except DoesNotExist:
            return None

    def set_execution(self, job_id: str, execution_arn: str) -> None:
        JobItem(job_id).update(actions=[JobItem.execution_arn.set(execution_arn)], condition=JobItem.pk.exists())

    def set_renders(self, job_id: str, image_ids: list[str]) -> None:
        JobItem(job_id).update(actions=[JobItem.renders.set(image_ids)], condition=JobItem.pk.exists())

    def transition(self, job_id: str, status: str, now: float, *, same_rank_ok: bool = False,
                   expected_attempt: int | None = None, expected_status: str | None = None, **fields) -> bool:
        """Move the job forward; never backwards, never out of a terminal state.

        ``same_rank_ok`` lets progress updates inside ``running`` through. Returns False when
        the condition rejects the write (late or duplicate event).
        """
        rank = JobStatus.RANK[status]
        item = JobItem(job_id)
        actions = [
            JobItem.status.set(status), JobItem.rank.set(rank), JobItem.updated_at.set(now),
            JobItem.history.set(JobItem.history.append(_history(status, now))),
        ]
        if status in JobStatus.FAILURES:
            actions.append(JobItem.failure.set(FAILURE))
        actions += [getattr(JobItem, name).set(value) for name, value in fields.items()]
        condition = JobItem.pk.exists() & (JobItem.rank <= rank if same_rank_ok else JobItem.rank < rank)
        if same_rank_ok:
            condition &= JobItem.rank < JobStatus.FINAL_RANK
        if expected_attempt is not None:
            condition &= JobItem.attempt == expected_attempt
        if expected_status is not None:
            condition &= JobItem.status == expected_status
        return conditional(lambda: item.update(actions=actions, condition=condition))

    def progress(self, job: Job, attempt: int, now: float, progress: int, stage: str | None) -> bool:
        """A heartbeat on ``job`` as the caller just read it: the first one moves the job to ``running``
        (recorded in the history once); the conditions reject it if the job moved on meanwhile."""
        job_id = job.id
        if job.attempt != attempt or JobStatus.RANK[job.status] >= JobStatus.FINAL_RANK:
            return False
        if job.status != JobStatus.RUNNING:
            return self.transition(job_id, JobStatus.RUNNING, now, expected_attempt=attempt, progress=progress,
                                   stage=stage)
        actions = [JobItem.updated_at.set(now), JobItem.progress.set(max(progress, job.progress)), JobItem.stage.set(stage)]
        condition = (JobItem.attempt == attempt) & (JobItem.status == JobStatus.RUNNING)
        return conditional(lambda: JobItem(job_id).update(actions=actions, condition=condition))

    def admit(self, job_id: str, now: float, deadline: float) -> bool:
        """pending -> queued: exactly one admitter wins; the execution is started by the winner."""
        return self.transition(job_id, JobStatus.QUEUED, now, expected_status=JobStatus.PENDING, deadline=deadline)

    def claim(self, job_id: str, agent_id: str, task_token: str, now: float) -> Job | None:
        """Hand a dispatched task to an agent: store the token, bump the attempt counter."""
        actions = [
            JobItem.status.set(JobStatus.DISPATCHED), JobItem.rank.set(JobStatus.RANK[JobStatus.DISPATCHED]),
            JobItem.agent_id.set(agent_id), JobItem.task_token.set(task_token), JobItem.attempt.add(1),
            JobItem.updated_at.set(now), JobItem.progress.set(0), JobItem.stage.set("dispatched"),
            JobItem.history.set(JobItem.history.append(_history(JobStatus.DISPATCHED, now, agent=agent_id))),
        ]
        # A new attempt may start from `running` (after a transient failure), never after an outcome.
        condition = JobItem.pk.exists() & (JobItem.rank >= JobStatus.RANK[JobStatus.QUEUED]) & (
            JobItem.rank < JobStatus.FINAL_RANK)
        claimed = conditional(lambda: JobItem(job_id).update(actions=actions, condition=condition))
        return self.get(job_id) if claimed else None

    def release_claim(self, job_id: str, attempt: int, agent_id: str, now: float) -> bool:
        """A push agent refused the assignment it was just given (busy, unreachable): the claim is
        undone so the next agent's claim starts a fresh attempt. Nobody but the refusing agent ever
        saw this attempt's callback URLs, and the attempt counter keeps them invalid. The task token
        stays: the dispatcher keeps the waiting execution alive with heartbeats until an agent takes it."""
        actions = [JobItem.status.set(JobStatus.QUEUED), JobItem.rank.set(JobStatus.RANK[JobStatus.QUEUED]),
                   JobItem.agent_id.set(None), JobItem.updated_at.set(now),
                   JobItem.history.set(JobItem.history.append(_history(JobStatus.QUEUED, now, released=agent_id)))]
        condition = ((JobItem.attempt == attempt) & (JobItem.agent_id == agent_id)
                     & (JobItem.status == JobStatus.DISPATCHED))
        return conditional(lambda: JobItem(job_id).update(actions=actions, condition=condition))

    def record_agent_error(self, job_id: str, attempt: int, message: str) -> None:
        conditional(lambda: JobItem(job_id).update(actions=[JobItem.agent_error.set(message)],
                                                   condition=JobItem.pk.exists() & (JobItem.attempt == attempt)))

    def take_slot(self, job_id: str) -> bool:
        """True exactly once per job that held a concurrency slot: the caller then releases it."""
        return conditional(lambda: JobItem(job_id).update(actions=[JobItem.slot_held.set(False)],
                                                          condition=JobItem.slot_held == True))  # noqa: E712

    def overdue(self, status: str, now: float, limit: int) -> list[Job]:
        return [_to_domain(i) for i in JobItem.by_status_deadline.query(status, JobItem.deadline < now, limit=limit)]

    def oldest(self, status: str, limit: int) -> list[Job]:
        """Oldest first: pending jobs are filed with a deadline that follows their creation order."""
        return [_to_domain(i) for i in JobItem.by_status_deadline.query(status, limit=limit)]

    def count(self, status: str) -> int:
        return JobItem.by_status_deadline.count(status)

    def _page(self, index, hash_attr: str, hash_value: str, range_attr: str, after: dict | None, limit: int,
              statuses: tuple[str, ...] | None) -> tuple[list[Job], dict | None]:
        flt = JobItem.status.is_in(*statuses) if statuses else None
        jobs, last = [], None
        for item in index.query(hash_value, filter_condition=flt, scan_index_forward=False, last_evaluated_key=after,
                                page_size=max(limit, 25)):
            if len(jobs) == limit:
                return jobs, last
            jobs.append(_to_domain(item))
            last = _start_key(item, hash_attr, range_attr)
        return jobs, None

    def page_for_owner(self, owner_id: str, after: dict | None, limit: int, statuses=None):
        return self._page(JobItem.by_owner, "owner_id", owner_id, "created_at", after, limit, statuses)

    def page_all(self, after: dict | None, limit: int, statuses=None):
        return self._page(JobItem.by_created, "listing", LISTING, "created_at", after, limit, statuses)

    def failures(self, after: dict | None, limit: int):
        return self._page(JobItem.by_failure, "failure", FAILURE, "updated_at", after, limit, None)
