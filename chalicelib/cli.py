"""Operator commands: ``python -m chalicelib.cli create-admin --email ...``.

Talks to whatever the standard AWS variables point at. ``--dev`` targets the running
``make dev`` stack (its resource names and endpoint are in ``.data/dev-stack.json``).
"""
from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path


def _load_dev_env() -> None:
    path = Path(os.environ.get("VS_DATA_DIR", Path(__file__).resolve().parent.parent / ".data")) / "dev-stack.json"
    if not path.is_file():
        sys.exit("make dev is not running (no .data/dev-stack.json); start it first")
    os.environ.update(json.loads(path.read_text()))
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create-admin", help="create an admin, or promote and reset an existing account")
    create.add_argument("--email", required=True)
    create.add_argument("--name", default="Administrator")
    create.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    create.add_argument("--generate", action="store_true", help="generate a random password and print it once")
    create.add_argument("--dev", action="store_true", help="target the running `make dev` stack")
    args = parser.parse_args(argv)

    if args.dev:
        _load_dev_env()
    from chalicelib import container
    from chalicelib.models import Role
    from chalicelib.services.auth_service import normalise_email

    try:
        email = normalise_email(args.email)
    except ValueError as e:
        sys.exit(f"--email {e}")
    if args.generate:
        password = None
    elif args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password for the admin: ")
    if password is not None and not 8 <= len(password) <= 256:
        sys.exit("the password must be 8-256 characters")
    user, generated = container.auth_service().upsert_account(email, args.name, Role.ADMIN, password)
    print(f"admin {user.email} ({user.id}) ready")
    if generated:
        print(f"password: {generated}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
