"""drop user_account.api_token_hash: never used; /api/v1 credentials keep their hashed tokens in
api_credential (docs/security.md)

Revision ID: 0049
Revises: 0040
Create Date: 2026-12-08 01:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0049'
down_revision = '0048'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account') as batch:
        batch.drop_constraint('uq_user_account_api_token_hash', type_='unique')
        batch.drop_column('api_token_hash')
    _account_index()


def downgrade():
    with op.batch_alter_table('user_account') as batch:
        batch.add_column(sa.Column('api_token_hash', sa.String(length=128), nullable=True))
        batch.create_unique_constraint('uq_user_account_api_token_hash', ['api_token_hash'])
    _account_index()


def _account_index():
    # SQLite rebuilds the table in a batch and does not reflect expression indexes: put back the
    # case-insensitive account index of 0003 (a no-op on PostgreSQL, which keeps it).
    op.execute(
        "CREATE UNIQUE INDEX IF NOT EXISTS uq_user_account_account_lower ON user_account (lower(account))"
    )
