"""联合惩戒批量验证: the annotated workbook of each checked list (sanction_batch_check; docs/sanctions.md)

Revision ID: 0045
Revises: 0040
Create Date: 2026-12-08 01:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0045'
down_revision = '0043'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sanction_batch_check',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('import_batch_id', sa.Integer(), nullable=True),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('rows', sa.Integer(), nullable=False),
        sa.Column('hits', sa.Integer(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_sanction_batch_check_created_by_id_user_account')),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_sanction_batch_check_department_id_department')),
        sa.ForeignKeyConstraint(['import_batch_id'], ['import_batch.id'], name=op.f('fk_sanction_batch_check_import_batch_id_import_batch'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sanction_batch_check')),
    )
    with op.batch_alter_table('sanction_batch_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sanction_batch_check_created_by_id'), ['created_by_id'], unique=False)


def downgrade():
    with op.batch_alter_table('sanction_batch_check', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sanction_batch_check_created_by_id'))
    op.drop_table('sanction_batch_check')
