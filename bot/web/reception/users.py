"""`make user NAME=<username>`: create a reception account, or give an existing one a new password
(which also logs it out everywhere).

    python -m bot.web.reception.users alice            # asks for the password twice
    printf '%s\n' "$PASSWORD" | python -m bot.web.reception.users alice   # not a terminal: stdin

The password is hashed with Argon2 before it reaches the database and is never printed or logged.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from sqlalchemy.exc import DBAPIError

from bot.db import staff
from bot.db.session import session_scope
from bot.web.reception.auth import hash_password

MIN_PASSWORD_LENGTH = 10


def read_password(stdin=None) -> str:
    stdin = stdin or sys.stdin
    if stdin.isatty():
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Same password again: "):
            raise SystemExit("The two passwords differ; nothing was changed.")
        return first
    return stdin.readline().rstrip("\r\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.web.reception.users", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "username", help="2-64 characters: letters, digits, '.', '_' or '-' (case-insensitive)"
    )
    args = parser.parse_args(argv)
    if not staff.valid_username(args.username):
        print("The username must be 2-64 characters: letters, digits, '.', '_' or '-'.", file=sys.stderr)
        return 2
    password = read_password()
    if len(password) < MIN_PASSWORD_LENGTH:
        print(
            f"The password must be at least {MIN_PASSWORD_LENGTH} characters; nothing was changed.",
            file=sys.stderr,
        )
        return 2
    try:
        with session_scope() as session:
            user, created = staff.set_user_password(session, args.username, hash_password(password))
            name = user.username
    except DBAPIError as exc:
        print(
            f"The clinic database is not ready ({type(exc.orig).__name__}): run `make migrate` first.",
            file=sys.stderr,
        )
        return 1
    print(
        f"Created reception account {name}."
        if created
        else f"New password set for {name}; its sessions ended."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
