import pydantic

from chalicelib import container, presenters
from chalicelib.api.routing import ApiModel, Result, Router
from chalicelib.models import Role
from chalicelib.services.auth_service import normalise_email

router = Router(__name__, "auth")


Email = pydantic.constr(min_length=3, max_length=254)
Password = pydantic.constr(min_length=8, max_length=256, strip_whitespace=False)


class RegisterBody(ApiModel):
    email: Email
    display_name: pydantic.constr(min_length=2, max_length=160)
    password: Password

    _normalise = pydantic.field_validator("email")(normalise_email)


class LoginBody(ApiModel):
    email: Email
    password: pydantic.constr(min_length=1, max_length=256, strip_whitespace=False)

    _normalise = pydantic.field_validator("email")(normalise_email)


class LogoutBody(ApiModel):
    all_devices: bool = False


class UpdateMeBody(ApiModel):
    display_name: pydantic.constr(min_length=2, max_length=160) | None = None
    bio: pydantic.constr(max_length=2000) | None = None
    show_adult_content: bool | None = None
    current_password: pydantic.constr(max_length=256, strip_whitespace=False) | None = None
    new_password: Password | None = None


@router.route("/auth/register", "POST", summary="Create a member account (when registration is open)",
              body=RegisterBody, status=201)
def register(ctx):
    b = ctx.body
    s = container.auth_service().register(b.email, b.display_name, b.password, ctx.source_ip)
    return Result(presenters.session(s.token, s.user, s.expires_at), status=201)


@router.route("/auth/login", "POST", summary="Exchange email and password for an access token",
              body=LoginBody, maintenance_exempt=True)
def login(ctx):
    s = container.auth_service().login(ctx.body.email, ctx.body.password, ctx.source_ip)
    return presenters.session(s.token, s.user, s.expires_at)


@router.route("/auth/me", summary="The signed-in account", role=Role.USER)
def me(ctx):
    return presenters.user(ctx.user, ctx.user)


@router.route("/auth/me", "PATCH", summary="Edit display name, bio, NSFW preference or password",
              role=Role.USER, body=UpdateMeBody)
def update_me(ctx):
    b = ctx.body
    changes = {}
    if b.display_name is not None:
        changes["display_name"] = b.display_name
    if b.bio is not None:
        changes["bio"] = b.bio
    if b.show_adult_content is not None:
        changes["show_adult"] = b.show_adult_content
    user, session = container.auth_service().update_me(ctx.user, changes, b.current_password, b.new_password)
    data = {"user": presenters.user(user, user)}
    if session:
        # The password change revoked every token, this one included; here is its successor.
        data["session"] = presenters.session(session.token, session.user, session.expires_at)
    return data


@router.route("/auth/logout", "POST", summary="Revoke this token, or every token of the account",
              role=Role.USER, body=LogoutBody)
def logout(ctx):
    container.auth_service().logout(ctx.headers.get("authorization", ""), ctx.body.all_devices)
    return Result(status=204)
