"""Scheduled cleanup handlers (EventBridge schedules; timers under ``make dev``), one per job.
The work is chalicelib/services/cleanup_service.py; each handler passes its per-run limit and logs the report."""
