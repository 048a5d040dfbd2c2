"""audit outbox: audit rows of the data interface's calls, written without the chain's lock and
chained later by `flask audit seal` (docs/security.md)

Revision ID: 0040
Revises: 0031
Create Date: 2026-12-07 22:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0040'
down_revision = '0038'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'audit_outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('user_account', sa.String(length=64), nullable=False),
        sa.Column('user_name', sa.String(length=50), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('department_name', sa.String(length=100), nullable=False),
        sa.Column('ip', sa.String(length=45), nullable=False),
        sa.Column('action', sa.String(length=40), nullable=False),
        sa.Column('object_type', sa.String(length=40), nullable=False),
        sa.Column('object_id', sa.String(length=64), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_outbox')),
    )


def downgrade():
    op.drop_table('audit_outbox')
