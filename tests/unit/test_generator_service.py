"""Narrow unit tests of GeneratorService with in-memory collaborators."""
from chalicelib.models import Job, JobStatus
from chalicelib.services.generator_service import GeneratorService


class Jobs:
    def __init__(self, jobs):
        self.jobs = {j.id: j for j in jobs}

    def overdue(self, status, now, limit):
        return [j for j in self.jobs.values() if j.status == status and j.deadline < now][:limit]

    def get(self, job_id):
        return self.jobs.get(job_id)

    def transition(self, job_id, status, now, **fields):
        job = self.jobs[job_id]
        if JobStatus.RANK[job.status] >= JobStatus.RANK[status]:
            return False
        job.status = status
        return True


class Orchestrator:
    def __init__(self):
        self.stopped = []

    def stop(self, arn, cause):
        self.stopped.append(arn)


class Reports:
    def __init__(self):
        self.runs = []

    def record_schedule_run(self, name, report):
        self.runs.append((name, report))


class Agents:
    def set_idle(self, agent_id, job_id):
        return True


def _service(jobs, clock=lambda: 1000.0):
    return GeneratorService(jobs, Agents(), None, None, Orchestrator(), Reports(), callback_secret=lambda: b"x" * 32,
                            public_url=lambda: "http://x", callback_ttl=60, job_timeout=60, poll_wait=1, clock=clock)


def _job(i, status, deadline):
    return Job(f"j{i}", "u", "diagnostic", status, 0, 0, deadline, execution_arn=f"arn:{i}")


def test_sweep_is_bounded_idempotent_and_reported():
    jobs = Jobs([_job(i, JobStatus.RUNNING, 900) for i in range(5)] + [_job(9, JobStatus.QUEUED, 2000),
                                                                        _job(8, JobStatus.SUCCEEDED, 10)])
    service = _service(jobs)
    first = service.sweep_overdue(limit=3, trigger="evt-1")
    assert first["count"] == 3 and service._orchestrator.stopped == ["arn:0", "arn:1", "arn:2"]
    second = service.sweep_overdue(limit=3)
    assert second["count"] == 2
    assert service.sweep_overdue(limit=3)["count"] == 0  # a retried or duplicate run changes nothing
    assert jobs.jobs["j9"].status == JobStatus.QUEUED and jobs.jobs["j8"].status == JobStatus.SUCCEEDED
    assert [name for name, _ in service._reports.runs] == ["sweep-jobs"] * 3
    assert service._reports.runs[0][1]["trigger"] == "evt-1"
