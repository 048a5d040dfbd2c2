"""scheme risk weight: an ordinary object draw may weight its members by their open 风险库
warnings (issue 16 §5; docs/draws.md, 风险库命中加权); the cluster-address rows by 托管机构
for 集群注册预警 (docs/risk.md)

Revision ID: 0048
Revises: 0040
Create Date: 2026-12-08 01:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0048'
down_revision = '0046'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('inspection_scheme') as batch:
        batch.add_column(sa.Column('risk_weight', sa.Integer(), nullable=False, server_default='0'))
        batch.create_check_constraint(op.f('ck_inspection_scheme_risk_weight_range'), 'risk_weight >= 0 AND risk_weight <= 100')
    op.create_index('ix_fact_cluster_address_agent', 'fact_cluster_address', ['agent_code', 'agent_name', 'current'],
                    unique=False)


def downgrade():
    op.drop_index('ix_fact_cluster_address_agent', table_name='fact_cluster_address')
    with op.batch_alter_table('inspection_scheme') as batch:
        batch.drop_constraint(op.f('ck_inspection_scheme_risk_weight_range'), type_='check')
        batch.drop_column('risk_weight')
