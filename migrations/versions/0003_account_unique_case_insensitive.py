"""accounts unique regardless of case

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21

"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("uq_user_account_account_lower", "user_account", [sa.text("lower(account)")], unique=True)


def downgrade():
    op.drop_index("uq_user_account_account_lower", table_name="user_account")
