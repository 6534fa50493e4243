"""Accounts, sessions kept on the server, and CSRF tokens.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106). A session is a row of
``web_sessions``: the browser's HttpOnly cookie holds a random 256-bit token, the table only its
SHA-256, so a copy of the database signs nobody in. A session ends at sign-out, when its
password or role changes, when its account is disabled, when an admin ends it, after
``session_hours`` or after ``idle_minutes`` unused; a copied cookie ends with it. The CSRF token
of a form is an HMAC of the session token (or, before sign-in, of a random pre-session cookie)
under the server's secret key: nothing to store, and useless without the cookie.

User names are NFKC-normalised, and a name whose confusable skeleton (Unicode TS #39's idea:
Cyrillic "а" reads as Latin "a", "rn" as "m") equals an existing one's is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import unicodedata
from datetime import datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..errors import InputError
from .db import User, WebSession, aware, now

ROLES = ("clinician", "admin")
_HASHER = PasswordHasher()
#: shortest password accepted (NIST SP 800-63B section 5.1.1.2: at least 8 characters)
MIN_PASSWORD = 8
#: longest password accepted (NIST SP 800-63B: at least 64 must be allowed)
MAX_PASSWORD = 256
#: a session's last_seen is written at most this often (s): one write a minute, not a request
TOUCH_SECONDS = 60


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def check_password(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# -- names ----------------------------------------------------------------------------------
def normal_name(name: str) -> str:
    """A user name as stored and compared: NFKC, surrounding blanks removed."""
    return unicodedata.normalize("NFKC", name).strip()


def skeleton(name: str) -> str:
    """The confusable skeleton of a name: case folded, every character that reads as an ASCII
    letter or digit replaced by it (confusable_homoglyphs' table of Unicode's confusables),
    and the ASCII look-alikes 0/o, 1/i/l, 5/s, rn/m, vv/w merged."""
    from confusable_homoglyphs import confusables

    out = []
    for ch in normal_name(name).casefold():
        if ch.isascii():
            out.append(ch)
            continue
        found = confusables.is_confusable(ch, greedy=True, preferred_aliases=[]) or []
        ascii_ = [h["c"] for f in found for h in f["homoglyphs"]
                  if len(h["c"]) == 1 and h["c"].isascii() and h["c"].isalnum()]
        out.append(ascii_[0].casefold() if ascii_ else ch)
    text = "".join(out).replace("rn", "m").replace("vv", "w")
    return text.translate(_ASCII_ALIKE)


_ASCII_ALIKE = str.maketrans("01i|5", "ollls")


def check_name(db: Session, username: str) -> str:
    """The normalised name, or an InputError: its form, a name taken, or one that reads like a
    name taken."""
    name = normal_name(username)
    if not name or len(name) > 64 or not name.replace("-", "").replace("_", "").replace(
            ".", "").isalnum():
        raise InputError("username", username, "1-64 letters, digits, '-', '_' or '.'")
    if db.scalar(select(User).where(User.username == name)) is not None:
        raise InputError("username", name, "a name not already taken")
    mine = skeleton(name)
    for other in db.scalars(select(User.username)):
        if skeleton(other) == mine:
            raise InputError("username", name, f"a name that does not look like the existing "
                             f"account {other!r} (letters from another script, or 0/o, 1/l, rn/m)")
    return name


def check_password_rules(password: str, field: str = "password") -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InputError(field, "(hidden)", f"{MIN_PASSWORD}-{MAX_PASSWORD} characters")


def add_user(db: Session, username: str, password: str, role: str = "clinician") -> User:
    """A new account; one-line errors for a bad or taken (or look-alike) name, a short
    password, an unknown role."""
    if role not in ROLES:
        raise InputError("role", role, " or ".join(ROLES))
    name = check_name(db, username)
    check_password_rules(password)
    user = User(username=name, password_hash=hash_password(password), role=role)
    db.add(user)
    db.commit()
    return user


def authenticate(db: Session, username: str, password: str) -> User | None:
    """The account for this name and password; None for a wrong pair or a disabled account
    (the same hashing work whether or not the name exists)."""
    user = db.scalar(select(User).where(User.username == normal_name(username)))
    if user is None:
        _HASHER.hash(password)
        return None
    if not check_password(user.password_hash, password) or user.disabled_at is not None:
        return None
    return user


# -- sessions -------------------------------------------------------------------------------
def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def start_session(db: Session, user: User, hours: float, address: str | None) -> str:
    """A new session for ``user``; the token for its cookie."""
    token = secrets.token_urlsafe(32)
    t = now()
    db.add(WebSession(id=_digest(token), user_id=user.id, created_at=t, last_seen=t,
                      expires_at=t + timedelta(hours=hours), address=(address or "")[:64]))
    db.commit()
    return token


def session_user(db: Session, token: str | None, idle_minutes: float) \
        -> tuple[WebSession, User] | None:
    """The live session and its account for a cookie's token, or None (unknown, ended,
    expired, idle too long, or its account disabled)."""
    if not token or len(token) > 100:
        return None
    row = db.get(WebSession, _digest(token))
    if row is None or row.ended_at is not None:
        return None
    t = now()
    if aware(row.expires_at) <= t:
        end(db, row, "expired")
        return None
    if aware(row.last_seen) + timedelta(minutes=idle_minutes) <= t:
        end(db, row, "idle")
        return None
    user = db.get(User, row.user_id)
    if user is None or user.disabled_at is not None:
        end(db, row, "account disabled")
        return None
    if (t - aware(row.last_seen)).total_seconds() >= TOUCH_SECONDS:
        row.last_seen = t
        db.commit()
    return row, user


def end(db: Session, row: WebSession, why: str) -> None:
    row.ended_at, row.ended_why = now(), why
    db.commit()


def end_sessions(db: Session, user_id: int, why: str) -> int:
    """End every live session of an account (password or role change, disabled); how many."""
    res = db.execute(update(WebSession).where(WebSession.user_id == user_id,
                                              WebSession.ended_at.is_(None))
                     .values(ended_at=now(), ended_why=why))
    db.commit()
    return int(getattr(res, "rowcount", 0) or 0)


def live_sessions(db: Session) -> list[tuple[WebSession, str]]:
    """Sessions not ended and not past their end, with their account's name."""
    t = now()
    rows = db.execute(select(WebSession, User.username).join(User, User.id == WebSession.user_id)
                      .where(WebSession.ended_at.is_(None))
                      .order_by(WebSession.last_seen.desc())).all()
    return [(s, name) for s, name in rows if aware(s.expires_at) > t]


def session_ref(row: WebSession) -> str:
    """A short public reference of a session (admin page): not the token, not its hash."""
    return row.id[:12]


# -- CSRF -----------------------------------------------------------------------------------
def csrf_for(secret: str, cookie: str) -> str:
    """The CSRF token bound to a session (or pre-session) cookie."""
    return hmac.new(secret.encode(), b"csrf:" + cookie.encode("ascii", "replace"),
                    hashlib.sha256).hexdigest()


def csrf_ok(secret: str, cookie: str | None, sent: str | None) -> bool:
    return bool(cookie and sent and hmac.compare_digest(csrf_for(secret, cookie), sent))


# -- trusted browsers -----------------------------------------------------------------------
def device_cookie(secret: str, username: str) -> str:
    """A cookie that says this browser has signed in as ``username`` before (OWASP's device
    cookies): its holder is not held back by the failures of strangers."""
    nonce = secrets.token_urlsafe(12)
    body = f"{nonce}.{_digest(username)[:16]}"
    sig = hmac.new(secret.encode(), b"device:" + body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{sig[:32]}"


def device_id(secret: str, cookie: str | None, username: str) -> str | None:
    """The id of a valid device cookie for ``username`` (its nonce), or None."""
    if not cookie or cookie.count(".") != 2 or len(cookie) > 200:
        return None
    nonce, who, sig = cookie.split(".")
    body = f"{nonce}.{who}"
    good = hmac.new(secret.encode(), b"device:" + body.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(good[:32], sig) or who != _digest(normal_name(username))[:16]:
        return None
    return nonce


# -- the secret key --------------------------------------------------------------------------
def secret_key(folder: Path, given: str | None = None) -> str:
    """``given`` (DERMALASE_SECRET_KEY), else a random key kept in the data folder (0600)."""
    if given:
        return given
    path = folder / "secret_key"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another server made it first
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key)
    return key


def since(t: datetime) -> float:
    """Seconds from ``t`` to now."""
    return (now() - aware(t)).total_seconds()
