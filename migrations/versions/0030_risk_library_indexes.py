"""covering indexes of the 风险库 page (docs/risk_pages.md; models/risk_library_indexes.py)

market_entity (id, department_id, industry_code, division_code): the list's check of each
warning's entity (scope, industry) from the index alone; risk_warning (status, rule_id,
first_seen_at, entity_id): a rule's or all open warnings counted from the index alone.

Revision ID: 0030
Revises: 0026
Create Date: 2026-12-07 19:20:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0030'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('market_entity', schema=None) as batch_op:
        batch_op.create_index('ix_market_entity_id_scope', ['id', 'department_id', 'industry_code', 'division_code'],
                              unique=False)
    with op.batch_alter_table('risk_warning', schema=None) as batch_op:
        batch_op.create_index('ix_risk_warning_status_rule_seen_entity',
                              ['status', 'rule_id', 'first_seen_at', 'entity_id'], unique=False)


def downgrade():
    with op.batch_alter_table('risk_warning', schema=None) as batch_op:
        batch_op.drop_index('ix_risk_warning_status_rule_seen_entity')
    with op.batch_alter_table('market_entity', schema=None) as batch_op:
        batch_op.drop_index('ix_market_entity_id_scope')
