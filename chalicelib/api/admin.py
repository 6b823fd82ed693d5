"""Administration views that belong to no single feature (the audit log)."""
import pydantic

from chalicelib import container, presenters
from chalicelib.api.routing import ApiModel, Result, Router
from chalicelib.models import Role
from chalicelib.pagination import page_meta

router = Router(__name__, "admin")

Id = pydantic.constr(pattern=r"^[A-Za-z0-9_-]{1,64}$")


class AuditQuery(ApiModel):
    action: pydantic.constr(pattern=r"^[a-z][a-z0-9.-]{0,63}$") | None = None
    actor_id: Id | None = None
    target_id: Id | None = None
    cursor: pydantic.constr(pattern=r"^[0-9]{13}[0-9a-f]{8}$") | None = None
    page_size: pydantic.conint(ge=1, le=100) = 50


@router.route("/admin/audit", summary="Audit log of administrative actions, newest first", role=Role.ADMIN,
              query=AuditQuery)
def audit_log(ctx):
    q = ctx.query
    entries, cursor, actors = container.audit_service().page(q.cursor, q.page_size, q.action, q.actor_id, q.target_id)
    return Result([presenters.audit_entry(e, actors) for e in entries], meta=page_meta(cursor, q.page_size))
