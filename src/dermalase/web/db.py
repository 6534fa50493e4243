"""The application's database: SQLAlchemy 2 models, the engine, and the Alembic migrations.

SQLite by default (a file in the data folder, nothing to install); PostgreSQL when the URL says
so (``postgresql://...``, through psycopg 3). The schema is created and upgraded by Alembic
(``web/migrations``), never by ``create_all``, so a database made by an older version is
migrated, not silently diverged. Patient data lives in ``patients``, ``notes`` and ``plans``;
``audit`` records who did what to which record by id only, never the data itself.

The database is opened only after :func:`open_database` has checked what it can before any
connection: the URL's form, the data folder (made 0700 when missing, and refused when it cannot
be written), a SQLite path that is a folder or not a SQLite file, and a server that does not
answer; each is one :class:`~dermalase.errors.InputError` naming the option that gave it.
"""

from __future__ import annotations

import os
import stat
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from ..errors import InputError

#: largest id a table holds (PostgreSQL's INTEGER): a larger one in a URL is no record (404)
MAX_ID = 2**31 - 1


def now() -> datetime:
    return datetime.now(UTC)


def aware(t: datetime) -> datetime:
    """``t`` with its zone: SQLite gives back naive datetimes, which were stored in UTC."""
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))  # clinician | admin
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    # rev 0003: accounts are disabled, never deleted (the audit trail names them)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Patient(Base):
    __tablename__ = "patients"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    data: Mapped[dict] = mapped_column(JSON)  # the patient file, as dermalase plan reads it
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    # rev 0003: the record a clinic keeps, the creator, and the trash
    record_number: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    date_of_birth: Mapped[date | None] = mapped_column(Date, nullable=True)
    sex: Mapped[str | None] = mapped_column(String(16), nullable=True)
    clinician: Mapped[str | None] = mapped_column(String(64), nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    deleted_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Note(Base):
    """A dated note on a patient's timeline (rev 0003)."""

    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    author: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)


class Plan(Base):
    __tablename__ = "plans"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"),
                                            index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    created_by: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32))
    fingerprint: Mapped[str] = mapped_column(String(32))
    patient_data: Mapped[dict] = mapped_column(JSON)  # the patient as planned
    plan: Mapped[dict] = mapped_column(JSON)  # the plan JSON (dermalase plan --json)
    report: Mapped[str] = mapped_column(Text)  # the HTML report as made (shown as it was)
    # rev 0004: the calibration the plan was made under (name vN, or "published")
    calibration: Mapped[str] = mapped_column(String(64), default="published",
                                             server_default="published")


class Simulation(Base):
    __tablename__ = "simulations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(64), index=True)  # store key: scenario + model
    scenario: Mapped[dict] = mapped_column(JSON)  # as written in the form
    summary: Mapped[dict] = mapped_column(JSON)
    netcdf: Mapped[bytes] = mapped_column(LargeBinary)
    figure_png: Mapped[bytes] = mapped_column(LargeBinary)
    healing_png: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # rev 0002
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    created_by: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32))
    fingerprint: Mapped[str] = mapped_column(String(32))


class Job(Base):
    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # plan | simulate
    status: Mapped[str] = mapped_column(String(16), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    patient_id: Mapped[int | None] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), nullable=True)
    result_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                         nullable=True)
    # rev 0003: the queue that several servers share (web/jobs.py)
    payload: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                          nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Audit(Base):
    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))  # create | view | update | delete | ...
    obj: Mapped[str] = mapped_column(String(16))  # patient | plan | note | account | ...
    obj_id: Mapped[int] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(String(200), nullable=True)  # rev 0003, ids only


class WebSession(Base):
    """A signed-in browser (rev 0003): the cookie holds a random token, the table its SHA-256;
    ending the row ends the session wherever the cookie was copied."""

    __tablename__ = "web_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    ended_why: Mapped[str | None] = mapped_column(String(32), nullable=True)
    address: Mapped[str | None] = mapped_column(String(64), nullable=True)


class SignInHold(Base):
    """Failed sign-ins by address, by name and by trusted browser (rev 0003), kept across
    restarts (web/throttle.py)."""

    __tablename__ = "sign_in_holds"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    hold_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Treatment(Base):
    """A treatment session as delivered (rev 0004; dermalase.outcomes.records)."""

    __tablename__ = "treatments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"), nullable=True,
                                                index=True)
    concern: Mapped[int | None] = mapped_column(Integer, nullable=True)  # index in the plan
    treated_on: Mapped[date] = mapped_column(Date)
    clinician: Mapped[str] = mapped_column(String(64))
    device: Mapped[str] = mapped_column(String(64))
    modality: Mapped[str] = mapped_column(String(64))
    settings: Mapped[dict] = mapped_column(JSON)  # in the device's own terms, as written
    physics: Mapped[list | None] = mapped_column(JSON, nullable=True)  # resolved, per area
    areas: Mapped[list] = mapped_column(JSON)
    passes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    anaesthesia: Mapped[str] = mapped_column(String(32))
    care: Mapped[dict] = mapped_column(JSON)
    consent_signed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    departures: Mapped[list] = mapped_column(JSON)  # how it departs from the plan
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class Prediction(Base):
    """The model's prediction for what was delivered (rev 0004), kept as made."""

    __tablename__ = "predictions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    treatment_id: Mapped[int] = mapped_column(ForeignKey("treatments.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    version: Mapped[str] = mapped_column(String(32))
    fingerprint: Mapped[str] = mapped_column(String(32))
    calibration: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # per area, and primary
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class FollowUpVisit(Base):
    """A follow-up visit after a treatment (rev 0004; dermalase.outcomes.followups)."""

    __tablename__ = "follow_ups"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    treatment_id: Mapped[int] = mapped_column(ForeignKey("treatments.id"), index=True)
    seen_on: Mapped[date] = mapped_column(Date)
    day_healed: Mapped[float | None] = mapped_column(Float, nullable=True)
    erythema_end_day: Mapped[float | None] = mapped_column(Float, nullable=True)
    social_downtime_days: Mapped[float | None] = mapped_column(Float, nullable=True)
    complications: Mapped[list] = mapped_column(JSON)
    improvement_scale: Mapped[str | None] = mapped_column(String(32), nullable=True)
    improvement_grade: Mapped[int | None] = mapped_column(Integer, nullable=True)
    patient_rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class PhotoFile(Base):
    """A follow-up photograph (rev 0004): the file lives in the data folder under its SHA-256,
    cleaned of metadata; the row says whose and what."""

    __tablename__ = "photos"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    follow_up_id: Mapped[int] = mapped_column(ForeignKey("follow_ups.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    mime: Mapped[str] = mapped_column(String(16))
    ext: Mapped[str] = mapped_column(String(8))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class CalibrationVersion(Base):
    """A calibration from outcomes (rev 0004): proposed, then adopted by an admin, later
    retired; the published calibration is the absence of an adopted one."""

    __tablename__ = "calibrations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # proposed | adopted | retired | failed
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    created_by: Mapped[str] = mapped_column(String(64))
    adopted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    adopted_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    cases: Mapped[int] = mapped_column(Integer, default=0)
    params: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # Calibration.to_dict
    report: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # posterior, check, table
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


# -- opening the database ---------------------------------------------------------------------
def normalise(url: str) -> str:
    """``postgresql://`` means psycopg 3 here (SQLAlchemy's default driver is psycopg2)."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _shown(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a URL too broken to parse is shown cut
        return url[:80]


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///PATH`` URL (None for PostgreSQL or in-memory)."""
    u = normalise(url)
    if not u.startswith("sqlite:///"):
        return None
    p = u.removeprefix("sqlite:///").split("?", 1)[0]
    return Path(p) if p and p != ":memory:" else None


def private_folder(folder: Path, option: str) -> None:
    """``folder`` made when missing (0700: only this account reads the patient data), made
    private when this account owns it, and checked writable."""
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise InputError(option, str(folder), f"a folder this account can create "
                         f"({exc.strerror or type(exc).__name__})") from None
    if not folder.is_dir():
        raise InputError(option, str(folder), "a folder (this path is a file)")
    st = folder.stat()
    if st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) & 0o077:
        os.chmod(folder, 0o700)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(option, str(folder), "a folder this account can write")


def check_url(url: str, option: str) -> None:
    """Refuse a URL that names no database this application can use."""
    from sqlalchemy.engine import make_url

    try:
        u = make_url(normalise(url))
    except Exception:  # noqa: BLE001 - SQLAlchemy's ArgumentError and others
        raise InputError(option, url[:80], "a database URL: sqlite:///PATH or "
                         "postgresql://USER@HOST[:PORT]/DATABASE") from None
    if u.drivername not in ("sqlite", "postgresql+psycopg"):
        raise InputError(option, _shown(url), "sqlite:///PATH or postgresql://USER@HOST/DB")
    if u.drivername == "sqlite":
        path = sqlite_path(url)
        if path is None:
            raise InputError(option, _shown(url), "sqlite:///PATH with a file path")
        private_folder(path.parent, option + " (its folder)")
        if path.exists():
            if not path.is_file():
                raise InputError(option, str(path), "a SQLite database file (this path is a "
                                 "folder or not a regular file)")
            with open(path, "rb") as f:
                head = f.read(16)
            if head and head != b"SQLite format 3\x00":
                raise InputError(option, str(path), "a SQLite database file (this file is "
                                 "something else)")
            if not os.access(path, os.R_OK | os.W_OK):
                raise InputError(option, str(path), "a database file this account can write")
        else:  # made here, private from the start: SQLite's journals take its mode
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.close(fd)
        if path.stat().st_uid == os.geteuid() and stat.S_IMODE(path.stat().st_mode) & 0o077:
            os.chmod(path, 0o600)
    elif not u.database:
        raise InputError(option, _shown(url), "postgresql://USER@HOST[:PORT]/DATABASE with the "
                         "database's name")


def engine_for(url: str) -> Engine:
    url = normalise(url)
    if url.startswith("sqlite:///"):
        eng = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(eng, "connect")
        def _pragmas(conn, _):
            conn.execute("PRAGMA foreign_keys=ON")  # SQLite enforces them only when asked
            # write-ahead log: readers never wait for a writer (several servers, the job
            # thread), and a commit appends to the log instead of rewriting pages; NORMAL
            # syncs at checkpoints: a power cut may lose the last commits, never consistency
            # (SQLite's documentation, "WAL mode" and "PRAGMA synchronous")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        return eng
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})


def ping(engine: Engine, url: str, option: str) -> None:
    """One round trip to the database; a failure is one line naming ``option``."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - OperationalError and the driver's own
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()
        line = reason[-1] if reason else type(exc).__name__
        raise InputError(option, _shown(url), f"a database that answers ({line[:160]})")\
            from None


def migrate(url: str) -> None:
    """Create or upgrade the schema to the latest migration (Alembic ``upgrade head``)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", normalise(url).replace("%", "%%"))
    command.upgrade(cfg, "head")


def open_database(url: str, option: str = "DATABASE_URL") -> sessionmaker:
    """The checked, migrated database at ``url``; every failure one :class:`InputError`
    naming ``option`` (``--database-url`` or ``DATABASE_URL``)."""
    check_url(url, option)
    engine = engine_for(url)
    ping(engine, url, option)
    try:
        migrate(url)
    except Exception as exc:  # noqa: BLE001 - a database another program made, or read-only
        engine.dispose()
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()
        raise InputError(option, _shown(url), "a database this application can create its "
                         f"tables in ({(reason[-1] if reason else type(exc).__name__)[:160]})")\
            from None
    return sessionmaker(engine, expire_on_commit=False)


def sessions(url: str) -> sessionmaker:
    """The migrated database at ``url`` (:func:`open_database`)."""
    return open_database(url)
