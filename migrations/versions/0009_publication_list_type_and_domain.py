"""publication list type and domain

The public list (一公开) filters by 清单类型 (单部门 / 部门联合) and 抽查类别; both are copied
from the payload at publication.  ``latest`` marks the newest publication of each subject, so
the current list is an indexed filter; existing rows are marked here.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 02:30:36.829094

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("publication", schema=None) as batch_op:
        batch_op.add_column(sa.Column("list_type", sa.String(length=20), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("domain", sa.String(length=100), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("latest", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index(
            "ix_publication_latest", ["subject_type", "latest", "list_type", "department_id"], unique=False
        )
    op.execute(
        "UPDATE publication SET latest = TRUE WHERE version = (SELECT max(p.version) FROM publication p "
        "WHERE p.subject_type = publication.subject_type AND p.subject_id = publication.subject_id)"
    )


def downgrade():
    with op.batch_alter_table("publication", schema=None) as batch_op:
        batch_op.drop_index("ix_publication_latest")
        batch_op.drop_column("latest")
        batch_op.drop_column("domain")
        batch_op.drop_column("list_type")
