"""Registered GPU agents (their API keys are stored as SHA-256 digests only)."""
from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.models import Agent
from chalicelib.repositories.base import conditional, table_meta

PRESENCE_KEY = "#presence"
LISTING = "agent"


class ByListing(GlobalSecondaryIndex):
    class Meta:  # index meta, not a table
        index_name = "by-listing"
        projection = AllProjection()

    listing = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class AgentItem(Model):
    Meta = table_meta("agents")

    pk = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    secret_hash = UnicodeAttribute()
    created_at = NumberAttribute()
    last_seen_at = NumberAttribute(null=True)
    enabled = BooleanAttribute(default=True)
    endpoint = UnicodeAttribute(null=True)
    current_job_id = UnicodeAttribute(null=True)
    busy_until = NumberAttribute(null=True)
    listing = UnicodeAttribute(null=True)
    by_listing = ByListing()


def _to_domain(item: AgentItem) -> Agent:
    return Agent(item.pk, item.name, item.secret_hash, float(item.created_at),
                 float(item.last_seen_at) if item.last_seen_at else None, bool(item.enabled), item.endpoint,
                 item.current_job_id, float(item.busy_until) if item.busy_until else None)


class AgentRepository:
    def create(self, agent: Agent) -> None:
        AgentItem(agent.id, name=agent.name, secret_hash=agent.secret_hash, created_at=agent.created_at,
                  enabled=agent.enabled, endpoint=agent.endpoint, listing=LISTING).save(
            condition=AgentItem.pk.does_not_exist())

    def get(self, agent_id: str) -> Agent | None:
        try:
            return _to_domain(AgentItem.get(agent_id, consistent_read=True))
        except DoesNotExist:
            return None

    def all(self, limit: int = 200) -> list[Agent]:
        """Registered agents (a fleet is tens, not thousands: one bounded Query)."""
        return [_to_domain(i) for i in AgentItem.by_listing.query(LISTING, limit=limit)]

    def update(self, agent_id: str, **fields) -> bool:
        actions = [getattr(AgentItem, name).set(value) for name, value in fields.items()]
        return conditional(lambda: AgentItem(agent_id).update(actions=actions, condition=AgentItem.pk.exists()))

    def set_busy(self, agent_id: str, job_id: str) -> bool:
        """Push dispatch takes an idle agent: only one dispatcher wins it."""
        condition = AgentItem.pk.exists() & AgentItem.current_job_id.does_not_exist()
        return conditional(lambda: AgentItem(agent_id).update(actions=[AgentItem.current_job_id.set(job_id)],
                                                              condition=condition))

    def set_idle(self, agent_id: str, job_id: str) -> bool:
        """Only the job the agent holds frees it (a late outcome of an older job does not)."""
        return conditional(lambda: AgentItem(agent_id).update(
            actions=[AgentItem.current_job_id.remove()], condition=AgentItem.current_job_id == job_id))

    def touch(self, agent_id: str, now: float) -> None:
        AgentItem(agent_id).update(actions=[AgentItem.last_seen_at.set(now)], condition=AgentItem.pk.exists())
        # One well-known item answers "is any agent alive?" without a Query.
        AgentItem(PRESENCE_KEY, name=agent_id, secret_hash="-", created_at=now, last_seen_at=now, enabled=False).save()

    def last_presence(self) -> float | None:
        agent = self.get(PRESENCE_KEY)
        return agent.last_seen_at if agent else None
