"""typed inspection and notice times are stored as UTC

Before this revision 检查时间 (inspection_record.inspected_at) and 告知时间
(advance_notice.notified_at) were stored as typed, in China wall-clock time, while every other
timestamp is UTC.  The forms now read them as China time and store UTC (services/clock.py), so
the rows written before are moved back by eight hours to mean the same instant.  Signature
times (signed_at) were always the server's UTC clock and are left alone.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 14:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

COLUMNS = (("inspection_record", "inspected_at"), ("advance_notice", "notified_at"))


def _shift(hours: int) -> None:
    postgres = op.get_bind().dialect.name == 'postgresql'
    for table, column in COLUMNS:
        if postgres:
            expr = f"{column} + interval '{hours} hours'"
        else:
            expr = f"datetime({column}, '{hours:+d} hours')"
        op.execute(f"UPDATE {table} SET {column} = {expr} WHERE {column} IS NOT NULL")


def upgrade():
    _shift(-8)


def downgrade():
    _shift(8)
