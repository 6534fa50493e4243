"""Accounts, sessions and CSRF for the web application.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106). A signed session cookie
(Starlette's SessionMiddleware: HttpOnly, SameSite=Lax, Secure when served over TLS) holds the
user id and a per-session CSRF token; every state-changing request must echo the token (a form
field or the ``X-CSRF-Token`` header that htmx sends), else 403.
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import InputError
from .db import User

ROLES = ("clinician", "admin")
_HASHER = PasswordHasher()
#: shortest password accepted (NIST SP 800-63B section 5.1.1.2: at least 8 characters)
MIN_PASSWORD = 8


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def check_password(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def add_user(db: Session, username: str, password: str, role: str = "clinician") -> User:
    """A new account; one-line errors for a taken name, a short password, an unknown role."""
    if not username or len(username) > 64 or not username.replace("-", "").replace(
            "_", "").replace(".", "").isalnum():
        raise InputError("username", username, "1-64 letters, digits, '-', '_' or '.'")
    if role not in ROLES:
        raise InputError("role", role, " or ".join(ROLES))
    if len(password) < MIN_PASSWORD:
        raise InputError("password", "(hidden)", f"at least {MIN_PASSWORD} characters")
    if db.scalar(select(User).where(User.username == username)) is not None:
        raise InputError("username", username, "a name not already taken")
    user = User(username=username, password_hash=hash_password(password), role=role)
    db.add(user)
    db.commit()
    return user


def authenticate(db: Session, username: str, password: str) -> User | None:
    user = db.scalar(select(User).where(User.username == username))
    if user is None:
        _HASHER.hash(password)  # the same work whether or not the name exists
        return None
    return user if check_password(user.password_hash, password) else None


def csrf_token(session: dict) -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def csrf_ok(session: dict, sent: str | None) -> bool:
    expected = session.get("csrf")
    return bool(expected and sent and hmac.compare_digest(expected, sent))


def secret_key(folder: Path) -> str:
    """``DERMALASE_SECRET_KEY``, else a random key kept in the data folder (mode 0600)."""
    env = os.environ.get("DERMALASE_SECRET_KEY")
    if env:
        return env
    path = folder / "secret_key"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    folder.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key)
    return key
