"""Generation jobs with monotonic status transitions enforced by conditional writes."""
from __future__ import annotations

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.models import Job, JobStatus
from chalicelib.repositories.base import conditional, table_meta


class ByStatusDeadline(GlobalSecondaryIndex):
    class Meta:  # index meta, not a table
        index_name = "by-status-deadline"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    deadline = NumberAttribute(range_key=True)


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
    by_status_deadline = ByStatusDeadline()


def _plain(value):
    return value.as_dict() if isinstance(value, MapAttribute) else value


def _to_domain(item: JobItem) -> Job:
    return Job(
        id=item.pk, owner_id=item.owner_id, kind=item.kind, status=item.status,
        created_at=float(item.created_at), updated_at=float(item.updated_at), deadline=float(item.deadline),
        attempt=int(item.attempt or 0), agent_id=item.agent_id, progress=int(item.progress or 0),
        task_token=item.task_token, execution_arn=item.execution_arn, result=_plain(item.result),
        error=item.error, agent_error=item.agent_error, history=[_plain(h) for h in (item.history or [])],
    )


class JobRepository:
    def create(self, job: Job) -> None:
        JobItem(
            job.id, owner_id=job.owner_id, kind=job.kind, status=job.status, rank=JobStatus.RANK[job.status],
            created_at=job.created_at, updated_at=job.updated_at, deadline=job.deadline,
            history=[{"status": job.status, "at": job.created_at}],
        ).save(condition=JobItem.pk.does_not_exist())

    def get(self, job_id: str) -> Job | None:
        try:
            return _to_domain(JobItem.get(job_id, consistent_read=True))
        except DoesNotExist:
            return None

    def set_execution(self, job_id: str, execution_arn: str) -> None:
        JobItem(job_id).update(actions=[JobItem.execution_arn.set(execution_arn)])

    def transition(self, job_id: str, status: str, now: float, *, same_rank_ok: bool = False,
                   expected_attempt: int | None = None, **fields) -> bool:
        """Move the job forward; never backwards, never out of a terminal state.

        ``same_rank_ok`` lets progress updates inside ``running`` through. Returns False when
        the condition rejects the write (late or duplicate event).
        """
        rank = JobStatus.RANK[status]
        item = JobItem(job_id)
        actions = [
            JobItem.status.set(status), JobItem.rank.set(rank), JobItem.updated_at.set(now),
            JobItem.history.set(JobItem.history.append([{"status": status, "at": now}])),
        ]
        actions += [getattr(JobItem, name).set(value) for name, value in fields.items()]
        condition = JobItem.pk.exists() & (JobItem.rank <= rank if same_rank_ok else JobItem.rank < rank)
        if same_rank_ok:
            condition &= JobItem.rank < 3
        if expected_attempt is not None:
            condition &= JobItem.attempt == expected_attempt
        return conditional(lambda: item.update(actions=actions, condition=condition))

    def claim(self, job_id: str, agent_id: str, task_token: str, now: float) -> Job | None:
        """Hand a dispatched task to an agent: store the token, bump the attempt counter."""
        actions = [
            JobItem.status.set(JobStatus.DISPATCHED), JobItem.rank.set(JobStatus.RANK[JobStatus.DISPATCHED]),
            JobItem.agent_id.set(agent_id), JobItem.task_token.set(task_token), JobItem.attempt.add(1),
            JobItem.updated_at.set(now),
            JobItem.history.set(JobItem.history.append([{"status": JobStatus.DISPATCHED, "at": now, "agent": agent_id}])),
        ]
        # A new attempt may start from `running` (after a transient failure), never after an outcome.
        claimed = conditional(lambda: JobItem(job_id).update(actions=actions, condition=JobItem.pk.exists() & (JobItem.rank < 3)))
        return self.get(job_id) if claimed else None

    def record_agent_error(self, job_id: str, attempt: int, message: str) -> None:
        JobItem(job_id).update(actions=[JobItem.agent_error.set(message)],
                               condition=JobItem.pk.exists() & (JobItem.attempt == attempt))

    def overdue(self, status: str, now: float, limit: int) -> list[Job]:
        return [_to_domain(i) for i in JobItem.by_status_deadline.query(status, JobItem.deadline < now, limit=limit)]
