"""inspector id number nullable

An entry imported from 渝 C.1 (执法人员名录库样表: 序号, 姓名, 电话, 所属区县, 所属部门, 人员类别,
业务专长) has no ID number.  inspector.id_number becomes nullable; the unique constraint
uq_inspector_id_number stays and holds for the non-null values (several NULLs never collide
on SQLite or PostgreSQL).  The downgrade refuses while entries without ID number exist.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-22 03:47:09.463940

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('inspector', schema=None) as batch_op:
        batch_op.alter_column('id_number', existing_type=sa.String(length=18), nullable=True)


def downgrade():
    missing = op.get_bind().execute(sa.text("SELECT count(*) FROM inspector WHERE id_number IS NULL")).scalar()
    if missing:
        raise RuntimeError(f"{missing} inspector entries have no ID number (imported from C.1): cannot make it NOT NULL")
    with op.batch_alter_table('inspector', schema=None) as batch_op:
        batch_op.alter_column('id_number', existing_type=sa.String(length=18), nullable=False)
