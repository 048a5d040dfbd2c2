"""server-side sign-in sessions; keyed audit chain

user_session: one row per sign-in, the cookie's token kept as its SHA-256 (services/sessions.py).
audit_event.chain_version: 1 for the rows written before this revision (unkeyed SHA-256), the
number of the HMAC key for the rows written after (services/audit_key.py, docs/deploy.md).
The column is added in place (ALTER TABLE ... ADD COLUMN, no table rebuild), so the
append-only triggers on audit_event stay as they are.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 13:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('user_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('end_reason', sa.String(length=20), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_user_session_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_session_token_hash'))
    )
    op.create_index('ix_user_session_user_open', 'user_session', ['user_id', 'ended_at'], unique=False)
    op.add_column('audit_event', sa.Column('chain_version', sa.SmallInteger(), server_default='1', nullable=False))


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        # A batch rebuild would drop the append-only triggers; SQLite >= 3.35 drops a column in place.
        op.execute('ALTER TABLE audit_event DROP COLUMN chain_version')
    else:
        op.drop_column('audit_event', 'chain_version')
    op.drop_index('ix_user_session_user_open', table_name='user_session')
    op.drop_table('user_session')
