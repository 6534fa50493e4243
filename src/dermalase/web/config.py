"""The web application's configuration, in one place (pydantic-settings).

Every setting has a default that works on a fresh machine, and is read from the environment
(``DERMALASE_<NAME>``; the database also from ``DATABASE_URL``, the usual name) or given to
:func:`~dermalase.web.app.create_app`. ``dermalase serve --help`` and the README list them.

| setting | environment | default |
| --- | --- | --- |
| database_url | ``DATABASE_URL`` (``DERMALASE_DATABASE_URL``) | SQLite in the data folder |
| data_dir | ``DERMALASE_DATA_DIR`` | ``$XDG_DATA_HOME/dermalase`` (``~/.local/share/dermalase``) |
| secret_key | ``DERMALASE_SECRET_KEY`` | random, kept in the data folder (0600) |
| host, port | ``DERMALASE_HOST``, ``DERMALASE_PORT`` | 127.0.0.1, 8000 |
| timezone | ``DERMALASE_TIMEZONE`` | the machine's zone (``TZ`` or /etc/localtime), else UTC |
| session_hours | ``DERMALASE_SESSION_HOURS`` | 8 (one clinic day) |
| idle_minutes | ``DERMALASE_IDLE_MINUTES`` | 60: a session unused this long ends |
| max_body | ``DERMALASE_MAX_BODY`` | 262144 bytes |
| heartbeat_seconds | ``DERMALASE_HEARTBEAT_SECONDS`` | 5: a running job's owner says it is alive |
| stale_seconds | ``DERMALASE_STALE_SECONDS`` | 30: a silent owner's job is taken back |
| photo_max_bytes | ``DERMALASE_PHOTO_MAX_BYTES`` | 8388608: largest follow-up photograph |
| photo_dir | ``DERMALASE_PHOTO_DIR`` | ``photos`` in the data folder (0700; files 0600) |
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ..errors import InputError


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/dermalase``, default ``~/.local/share/dermalase``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "dermalase"


def machine_zone() -> str:
    """The machine's time zone name (``TZ``, else the /etc/localtime link), else UTC."""
    tz = os.environ.get("TZ", "").lstrip(":")
    if tz:
        return tz
    try:
        target = os.path.realpath("/etc/localtime")
        if "zoneinfo/" in target:
            return target.split("zoneinfo/", 1)[1]
    except OSError:
        pass
    return "UTC"


class Settings(BaseSettings):
    """The configuration of one server."""

    model_config = SettingsConfigDict(env_prefix="DERMALASE_", extra="ignore",
                                      populate_by_name=True)

    database_url: str | None = Field(
        None, validation_alias=AliasChoices("database_url", "DATABASE_URL",
                                            "DERMALASE_DATABASE_URL"),
        description="SQLAlchemy URL: sqlite:///PATH or postgresql://USER@HOST/DB")
    data_dir: Path = Field(default_factory=default_data_dir,
                           description="Folder of the SQLite database and the secret key")
    secret_key: str | None = Field(None, description="Key that signs the CSRF tokens")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    timezone: str = Field(default_factory=machine_zone,
                          description="The clinic's time zone: times are shown in it")
    session_hours: float = Field(8.0, gt=0, le=24 * 7)
    idle_minutes: float = Field(60.0, gt=0)
    max_body: int = Field(256 * 1024, gt=0)
    heartbeat_seconds: float = Field(5.0, gt=0)
    stale_seconds: float = Field(30.0, gt=0)
    photo_max_bytes: int = Field(8 * 1024 * 1024, gt=0, le=64 * 1024 * 1024)
    photo_dir: Path | None = Field(None, description="Folder of the follow-up photographs")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"DERMALASE_TIMEZONE: {v!r} is not a time zone name such as "
                             "'Europe/Paris'") from None
        return v

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def photos(self) -> Path:
        """The photographs' folder (outside the database, under their content hash)."""
        return self.photo_dir or self.data_dir / "photos"

    def url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'dermalase.db'}"


def load(**given) -> Settings:
    """The settings from the environment, ``given`` values first; a bad value is one
    :class:`InputError` naming its variable."""
    from pydantic import ValidationError

    try:
        return Settings(**{k: v for k, v in given.items() if v is not None})
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        name = "DERMALASE_" + str(err["loc"][0]).upper() if err["loc"] else "settings"
        raise InputError(name, err.get("input"), err["msg"].removeprefix("Value error, "))\
            from None
