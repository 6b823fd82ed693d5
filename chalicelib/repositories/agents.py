"""Registered GPU agents (their API keys are stored as SHA-256 digests only)."""
from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from chalicelib.models import Agent
from chalicelib.repositories.base import table_meta

PRESENCE_KEY = "#presence"


class AgentItem(Model):
    Meta = table_meta("agents")

    pk = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    secret_hash = UnicodeAttribute()
    created_at = NumberAttribute()
    last_seen_at = NumberAttribute(null=True)
    enabled = BooleanAttribute(default=True)


def _to_domain(item: AgentItem) -> Agent:
    return Agent(item.pk, item.name, item.secret_hash, float(item.created_at),
                 float(item.last_seen_at) if item.last_seen_at else None, bool(item.enabled))


class AgentRepository:
    def create(self, agent: Agent) -> None:
        AgentItem(agent.id, name=agent.name, secret_hash=agent.secret_hash, created_at=agent.created_at,
                  enabled=agent.enabled).save(condition=AgentItem.pk.does_not_exist())

    def get(self, agent_id: str) -> Agent | None:
        try:
            return _to_domain(AgentItem.get(agent_id))
        except DoesNotExist:
            return None

    def touch(self, agent_id: str, now: float) -> None:
        AgentItem(agent_id).update(actions=[AgentItem.last_seen_at.set(now)], condition=AgentItem.pk.exists())
        # One well-known item answers "is any agent alive?" without a Scan.
        AgentItem(PRESENCE_KEY, name=agent_id, secret_hash="-", created_at=now, last_seen_at=now, enabled=False).save()

    def last_presence(self) -> float | None:
        agent = self.get(PRESENCE_KEY)
        return agent.last_seen_at if agent else None
