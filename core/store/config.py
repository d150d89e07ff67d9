"""The store section of the site config."""
from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, field_validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


class StoreConfig(BaseModel):
    """`url` is any SQLAlchemy URL (postgresql+psycopg://user@host/db for PostgreSQL); without one the
    store is the SQLite file `sqlite_path`."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = None
    sqlite_path: Path = Path("edgesight.sqlite")

    @field_validator("url")
    @classmethod
    def _url(cls, url: str | None) -> str | None:
        if url is None:
            return None
        try:
            backend = make_url(url).get_backend_name()
        except ArgumentError:
            raise ValueError(f"store.url {url!r} is not a database URL; use postgresql+psycopg://... or sqlite:///file") from None
        if backend not in ("sqlite", "postgresql"):
            raise ValueError(f"store.url {url!r}: backend {backend!r} is not supported; use PostgreSQL or SQLite")
        return url

    @property
    def database_url(self) -> str:
        return self.url or f"sqlite:///{self.sqlite_path}"
