"""Curator applications: members apply, administrators review the queue and decide."""
from typing import Literal

import pydantic

from chalicelib import container, presenters
from chalicelib.api.params import record_id
from chalicelib.api.routing import ApiModel, Result, Router
from chalicelib.models import Role
from chalicelib.pagination import page_meta
from chalicelib.services.application_service import MESSAGE_MAX, MESSAGE_MIN, REASON_MAX, REASON_MIN

router = Router(__name__, "curator-applications")


APPLICATION = {"application_id": record_id}


class ApplyBody(ApiModel):
    message: pydantic.constr(min_length=MESSAGE_MIN, max_length=MESSAGE_MAX)


class ApplicationsQuery(ApiModel):
    status: Literal["pending", "approved", "rejected"] = "pending"
    cursor: pydantic.constr(max_length=2000) | None = None
    page_size: pydantic.conint(ge=1, le=100) = 50


class ApproveBody(ApiModel):
    reason: pydantic.constr(max_length=REASON_MAX) | None = None


class RejectBody(ApiModel):
    reason: pydantic.constr(min_length=REASON_MIN, max_length=REASON_MAX)


@router.route("/users/me/curator-application", summary="My latest curator application", role=Role.USER)
def my_application(ctx):
    return presenters.curator_application(container.application_service().latest(ctx.user), ctx.user, ctx.user)


@router.route("/users/me/curator-application", "POST", summary="Apply for the curator role (members only, one "
              "pending at a time)", role=Role.USER, body=ApplyBody, status=201)
def apply(ctx):
    application = container.application_service().apply(ctx.user, ctx.body.message)
    return Result(presenters.curator_application(application, ctx.user, ctx.user), status=201)


@router.route("/curator-applications", summary="Curator applications by status (pending: oldest first; decided: "
              "newest first)", role=Role.ADMIN, query=ApplicationsQuery)
def list_applications(ctx):
    q = ctx.query
    page = container.application_service().page(q.status, q.cursor, q.page_size)
    return Result([presenters.curator_application(a, page.applicants.get(a.user_id), ctx.user) for a in page.items],
                  meta=page_meta(page.cursor, q.page_size))


@router.route("/curator-applications/{application_id}", summary="One curator application", role=Role.ADMIN,
              path_params=APPLICATION)
def get_application(ctx):
    application, applicant = container.application_service().get(ctx.path_params["application_id"])
    return presenters.curator_application(application, applicant, ctx.user)


@router.route("/curator-applications/{application_id}/approve", "POST", summary="Approve: the applicant becomes a "
              "curator", role=Role.ADMIN, body=ApproveBody, path_params=APPLICATION)
def approve(ctx):
    application, applicant = container.application_service().approve(ctx.user, ctx.path_params["application_id"],
                                                                      ctx.body.reason)
    return presenters.curator_application(application, applicant, ctx.user)


@router.route("/curator-applications/{application_id}/reject", "POST", summary="Reject, with a reason the applicant "
              "is shown", role=Role.ADMIN, body=RejectBody, path_params=APPLICATION)
def reject(ctx):
    application, applicant = container.application_service().reject(ctx.user, ctx.path_params["application_id"],
                                                                     ctx.body.reason)
    return presenters.curator_application(application, applicant, ctx.user)
