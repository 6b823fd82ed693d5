"""Users: public profiles, and account administration (list, create, edit, deactivate, delete)."""
from typing import Literal

import pydantic

from chalicelib import container, presenters
from chalicelib.api.listing import Id
from chalicelib.api.params import record_id
from chalicelib.api.routing import ApiModel, Result, Router
from chalicelib.models import Role
from chalicelib.pagination import page_meta
from chalicelib.services.auth_service import normalise_email
from chalicelib.services.user_admin_service import MAX_BULK, UserFilter, UserPatch

router = Router(__name__, "users")

RoleName = Literal["USER", "CURATOR", "ADMIN"]
Content = Literal["reassign", "remove"]
Email = pydantic.constr(min_length=3, max_length=254)
DisplayName = pydantic.constr(min_length=2, max_length=160)
Bio = pydantic.constr(max_length=2000)
Password = pydantic.constr(min_length=8, max_length=256, strip_whitespace=False)


USER = {"user_id": record_id}


class UserListQuery(ApiModel):
    role: RoleName | None = None
    active: bool | None = None
    q: pydantic.constr(max_length=100) = ""
    sort: Literal["newest", "oldest"] = "newest"
    cursor: pydantic.constr(max_length=2000) | None = None
    page_size: pydantic.conint(ge=1, le=100) = 50


class CreateUser(ApiModel):
    email: Email
    display_name: DisplayName
    password: Password | None = None  # absent: one is generated and returned once
    role: RoleName = "USER"
    bio: Bio = ""

    _normalise = pydantic.field_validator("email")(normalise_email)


class PatchUser(ApiModel):
    email: Email | None = None
    display_name: DisplayName | None = None
    role: RoleName | None = None
    bio: Bio | None = None
    is_active: bool | None = None
    show_adult_content: bool | None = None
    password: Password | None = None  # a reset: every token of the account stops working

    @pydantic.field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value):
        if value is None:
            raise ValueError("may be left out but not null")
        return value

    @pydantic.field_validator("email")
    @classmethod
    def _email(cls, value):
        return normalise_email(value)


class DeleteQuery(ApiModel):
    content: Content
    to: Id | None = None


class BulkDeleteBody(ApiModel):
    ids: pydantic.conlist(Id, min_length=1, max_length=MAX_BULK)
    content: Content
    to: Id | None = None


def _role(name: str | None) -> Role | None:
    return Role[name] if name else None


@router.route("/users/{user_id}/profile", summary="Public profile: who, rank, counts and first pages of their work "
              "(only what the viewer may see)", path_params=USER)
def get_profile(ctx):
    return presenters.profile(container.profile_service().profile(ctx.user, ctx.path_params["user_id"]), ctx.user)


@router.route("/users", summary="Accounts, newest first (filters: role, active, q = name or email prefix)",
              role=Role.ADMIN, query=UserListQuery)
def list_users(ctx):
    q = ctx.query
    page = container.user_admin_service().page(UserFilter(_role(q.role), q.active, q.q, q.sort), q.cursor, q.page_size)
    return Result([presenters.admin_user(u, page.deletions.get(u.id), ctx.user) for u in page.items],
                  meta=page_meta(page.cursor, q.page_size))


@router.route("/users", "POST", summary="Create an account with a role preset (a password is generated if absent)",
              role=Role.ADMIN, body=CreateUser, status=201)
def create_user(ctx):
    b = ctx.body
    user, generated = container.user_admin_service().create(ctx.user, b.email, b.display_name, b.password,
                                                            Role[b.role], b.bio)
    return Result({"user": presenters.admin_user(user, None, ctx.user), "generatedPassword": generated}, status=201)


@router.route("/users/{user_id}", summary="One account, with the progress of its deletion if one was requested",
              role=Role.ADMIN, path_params=USER)
def get_user(ctx):
    return presenters.account(container.user_admin_service().get(ctx.path_params["user_id"]), ctx.user)


@router.route("/users/{user_id}", "PATCH", summary="Edit an account: email, name, role, bio, active, adult "
              "preference, password reset", role=Role.ADMIN, body=PatchUser, path_params=USER)
def update_user(ctx):
    b = ctx.body
    patch = UserPatch.of(email=b.email, display_name=b.display_name, role=_role(b.role), bio=b.bio,
                         is_active=b.is_active, show_adult=b.show_adult_content, password=b.password)
    user = container.user_admin_service().update(ctx.user, ctx.path_params["user_id"], patch)
    return presenters.admin_user(user, None, ctx.user)


@router.route("/users/{user_id}", "DELETE", summary="Delete an account: deactivated at once, content reassigned "
              "or removed in the background", role=Role.ADMIN, query=DeleteQuery, path_params=USER, status=202)
def delete_user(ctx):
    deletion = container.user_admin_service().delete(ctx.user, ctx.path_params["user_id"], ctx.query.content,
                                                     ctx.query.to)
    return Result({"id": ctx.path_params["user_id"], "deletion": presenters.account_deletion(deletion)}, status=202)


@router.route("/users/bulk-delete", "POST", summary="Delete up to 100 accounts (all checked first)",
              role=Role.ADMIN, body=BulkDeleteBody, status=202)
def bulk_delete_users(ctx):
    b = ctx.body
    deletions = container.user_admin_service().bulk_delete(ctx.user, b.ids, b.content, b.to)
    return Result({"deletions": [{"id": d.user_id, **presenters.account_deletion(d)} for d in deletions]}, status=202)
