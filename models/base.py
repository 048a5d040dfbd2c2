"""The SQLAlchemy handle shared by every model, with a fixed constraint naming convention.

The naming convention must be set before the first migration: Alembic needs stable
constraint names to drop or alter them later, above all on SQLite batch rebuilds.
"""

from __future__ import annotations

from datetime import datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from infrastructure import clock

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def utcnow() -> datetime:
    """Naive UTC timestamp; stored naive so SQLite and PostgreSQL compare alike (infrastructure/clock.py)."""
    return clock.utcnow()
