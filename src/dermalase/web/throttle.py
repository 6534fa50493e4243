"""Failed sign-ins held back by address and by name, without locking the real user out.

Each failure counts against the address it came from and against the name it tried
(``sign_in_holds``, in the database: a restart does not reset it). Past a few free failures,
each further one holds that key back for a delay that doubles (15 s, 30 s, ... at most 15 min):
guessing slows to a crawl, and nothing is locked for good. A browser that has signed in to an
account before carries a signed device cookie (OWASP's "device cookies" answer to lock-out by
strangers); its attempts count only against that cookie, so a stranger's failures on the same
name never hold the real user back. A key forgets its failures after an hour without one; an
admin can lift a hold at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .db import SignInHold, aware, now

#: failures a name, a trusted browser or an address may make before the delays start. A name
#: or browser: 5 (OWASP Authentication Cheat Sheet, "Account Lockout": a small number such as
#: 3-10); an address: 20, since several clinicians may share one front-desk machine.
FREE = {"name": 5, "device": 5, "address": 20}
#: first delay past the free failures (s); it doubles with each further failure
FIRST_DELAY = 15.0
#: longest delay (s): the 15 minutes of the earlier lock, now a ceiling, not a lock
MAX_DELAY = 15 * 60.0
#: a key's failures are forgotten after this long without one (s)
FORGET = 3600.0


@dataclass(frozen=True)
class Held:
    kind: str        # name | address | device
    seconds: int     # until the next try is allowed

    def message(self) -> str:
        what = {"name": "for this name", "address": "from this address",
                "device": "from this browser"}[self.kind]
        return (f"too many failed sign-ins {what}: try again in {self.seconds} s (a browser "
                "that has signed in to this account before is not held back by others' "
                "failures; an admin can lift the hold)")


def keys(address: str | None, name: str, device: str | None) -> list[tuple[str, str]]:
    """The (kind, key) pairs an attempt counts against."""
    if device is not None:
        return [("device", f"device:{device}")]
    return [("address", f"address:{(address or '?')[:64]}"), ("name", f"name:{name[:64]}")]


def held(db: Session, pairs: list[tuple[str, str]]) -> Held | None:
    """The hold an attempt must wait out, if any."""
    t = now()
    worst: Held | None = None
    for kind, key in pairs:
        row = db.get(SignInHold, key)
        if row is None or row.hold_until is None:
            continue
        left = (aware(row.hold_until) - t).total_seconds()
        if left > 0 and (worst is None or left > worst.seconds):
            worst = Held(kind, int(left) + 1)
    return worst


def failed(db: Session, pairs: list[tuple[str, str]]) -> None:
    t = now()
    for kind, key in pairs:
        row = db.get(SignInHold, key)
        if row is None:
            row = SignInHold(key=key, failures=0, last_failure=t)
            db.add(row)
        elif (t - aware(row.last_failure)).total_seconds() > FORGET:
            row.failures = 0
        row.failures = (row.failures or 0) + 1
        row.last_failure = t
        over = row.failures - FREE[kind]
        if over > 0:
            delay = min(FIRST_DELAY * 2 ** min(over - 1, 20), MAX_DELAY)
            row.hold_until = t + timedelta(seconds=delay)
    db.commit()


def passed(db: Session, pairs: list[tuple[str, str]]) -> None:
    """A right password clears the name's (or the browser's) failures, not the address's."""
    db.execute(delete(SignInHold).where(SignInHold.key.in_(
        [k for kind, k in pairs if kind != "address"])))
    db.commit()


def current(db: Session) -> list[SignInHold]:
    """Keys with failures (admin page)."""
    return list(db.scalars(select(SignInHold).order_by(SignInHold.last_failure.desc())
                           .limit(200)))


def lift(db: Session, key: str) -> None:
    db.execute(delete(SignInHold).where(SignInHold.key == key))
    db.commit()
