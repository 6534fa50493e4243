"""The web application's services: what a page does, without the page. Each takes the database
session and the acting account, checks what that account may do, writes the audit trail of
every read and change of patient data, and raises :class:`NotFound` or :class:`Forbidden`; the
routers turn those into pages, the command line can call them as they are."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..db import MAX_ID, Audit, User


class NotFound(Exception):
    """No such record (or not one this account may see)."""


class Forbidden(Exception):
    """The record exists; this account may not do this to it."""


def audit(db: Session, actor: User | str, action: str, obj: str, obj_id: int,
          detail: str | None = None) -> None:
    """One line of the trail (ids only, never the data); committed with the caller's work."""
    name = actor if isinstance(actor, str) else actor.username
    db.add(Audit(username=name, action=action, obj=obj, obj_id=obj_id,
                 detail=detail[:200] if detail else None))


def get(db: Session, model, obj_id: int):
    """A row by id; NotFound for an id no table can hold (beyond 32 bits, negative)."""
    if not 0 < obj_id <= MAX_ID:
        raise NotFound(f"no {model.__tablename__.rstrip('s')} {obj_id}")
    obj = db.get(model, obj_id)
    if obj is None:
        raise NotFound(f"no {model.__tablename__.rstrip('s')} {obj_id}")
    return obj
