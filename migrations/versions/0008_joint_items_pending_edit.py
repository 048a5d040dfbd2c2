"""joint items: the pending edit of a published joint item (表13/表14); status 已终止

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 02:30:34.182967

ItemStatus gains "terminated"; the enum is stored as a plain string (no CHECK), so only the
new column needs DDL.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('check_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pending_edit', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('check_item', schema=None) as batch_op:
        batch_op.drop_column('pending_edit')
