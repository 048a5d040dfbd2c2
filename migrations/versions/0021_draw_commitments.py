"""draw commitments: a secret salt per draw and the salted commitments the public page shows

The public verification page of a draw no longer shows the seed, the strata or the quotas
(docs/draws.md, 抽取记录的公开与等级保密); it shows HMAC-SHA256 commitments keyed with a salt
kept in ``draw.salt``.  Draws made before this revision get a fresh salt and their commitments
here, with ``committed_at`` the time of the upgrade: their commitments bind the record from now
on, not from the draw's time, and the public page says so.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 13:20:00

"""
import json
import secrets
import zlib
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

STRATA = ["A", "B", "C", "D", "E", "-"]


def upgrade():
    with op.batch_alter_table('draw') as batch:
        batch.add_column(sa.Column('salt', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('commitments', sa.Text(), nullable=True))
        batch.add_column(sa.Column('committed_at', sa.DateTime(), nullable=True))
    _commit_existing_draws()


def _commit_existing_draws():
    """Salt and commit the object draws already stored (the published script's own function)."""
    from infrastructure.draw_algorithm import commitments

    bind = op.get_bind()
    now = datetime.now(UTC).replace(tzinfo=None)  # stored in UTC, like models.base.utcnow
    draw = sa.table('draw', sa.column('id'), sa.column('domain'), sa.column('seed'), sa.column('quotas'),
                    sa.column('population'), sa.column('result'), sa.column('salt'), sa.column('commitments'),
                    sa.column('committed_at'))
    rows = bind.execute(sa.select(draw.c.id).where(draw.c.domain == 'object')).scalars().all()
    for ident in rows:
        seed, quotas, blob, result = bind.execute(
            sa.select(draw.c.seed, draw.c.quotas, draw.c.population, draw.c.result).where(draw.c.id == ident)
        ).one()
        population = []
        for line in zlib.decompress(blob).decode().splitlines():
            key, stratum, weight = line.split("\t")
            population.append((key, stratum, float(weight)))
        salt = secrets.token_hex(32)
        found = commitments(salt, seed, json.loads(quotas), population, json.loads(result), STRATA)
        bind.execute(draw.update().where(draw.c.id == ident).values(
            salt=salt, commitments=json.dumps(found), committed_at=now))


def downgrade():
    with op.batch_alter_table('draw') as batch:
        batch.drop_column('committed_at')
        batch.drop_column('commitments')
        batch.drop_column('salt')
