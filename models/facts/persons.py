"""Natural persons as subjects of facts (自然人: officers, shareholders, 失信被执行人).

The ID number is the 18-character 居民身份证号码 with its GB 11643 check digit, upper-case X,
normalised by services/collection/parse.py before it is stored.  Pages show it masked
(``masked_id_number``); an unmasked view is audited by the page that shows it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db, utcnow


class Person(db.Model):
    """自然人."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def masked_id_number(self) -> str:
        from services.masking import mask_id_number

        return mask_id_number(self.id_number)

    def __repr__(self) -> str:
        return f"<Person {self.id} {self.name}>"
