"""shared inspector draws: a draw row may belong to a 专项整治 campaign (表23) or a 表24 member
unit instead of a task (services/inspector_draws.Subject)

Revision ID: 0046
Revises: 0040
Create Date: 2026-12-08 01:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0046'
down_revision = '0045'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('draw', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_type', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('subject_id', sa.Integer(), nullable=True))
        batch_op.alter_column('task_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_index('ix_draw_subject', ['subject_type', 'subject_id'], unique=False)


def downgrade():
    op.execute("DELETE FROM draw WHERE task_id IS NULL")
    with op.batch_alter_table('draw', schema=None) as batch_op:
        batch_op.drop_index('ix_draw_subject')
        batch_op.alter_column('task_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('subject_id')
        batch_op.drop_column('subject_type')
