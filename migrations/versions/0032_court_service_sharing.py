"""court service-information sharing (企业送达信息共享, 表34)

court_lookup (each 获取市场主体基本信息 call of the 市法院), court_case (a case of one court account
about one entity), court_delivery (each 反馈案件信息及送达信息: 送达 / 未送达, date, address, the case
as sent); the risk rule 司法送达失败预警 (source 表34) seeded into risk_rule, whose source check
now admits 表34.  Written against the models, then checked with compare_metadata.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07 21:30:00

"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None

# (code, name, source, default parameters), frozen: the catalogue may change later.
RULE = ("court_unserved", "司法送达失败预警", "表34", {})
OLD_SOURCES = "source IN ('表26', 'seed004')"
NEW_SOURCES = "source IN ('表26', 'seed004', '表34')"


def _source_check(condition: str) -> None:
    with op.batch_alter_table('risk_rule', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_risk_rule_source_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_risk_rule_source_known'), sa.text(condition))


def upgrade():
    op.create_table('court_lookup',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('credential_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('fields', sa.String(length=200), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['user_account.id'], name=op.f('fk_court_lookup_client_id_user_account')),
    sa.ForeignKeyConstraint(['credential_id'], ['api_credential.id'], name=op.f('fk_court_lookup_credential_id_api_credential')),
    sa.ForeignKeyConstraint(['entity_id'], ['market_entity.id'], name=op.f('fk_court_lookup_entity_id_market_entity')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_court_lookup_instance_id_process_instance')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_court_lookup'))
    )
    with op.batch_alter_table('court_lookup', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_court_lookup_entity_id'), ['entity_id'], unique=False)
        batch_op.create_index('ix_court_lookup_received', ['received_at'], unique=False)

    op.create_table('court_case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('case_no', sa.String(length=60), nullable=False),
    sa.Column('court_name', sa.String(length=100), nullable=False),
    sa.Column('case_kind', sa.String(length=30), nullable=False),
    sa.Column('parties', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('served', 'unserved')", name=op.f('ck_court_case_status_known')),
    sa.ForeignKeyConstraint(['client_id'], ['user_account.id'], name=op.f('fk_court_case_client_id_user_account')),
    sa.ForeignKeyConstraint(['entity_id'], ['market_entity.id'], name=op.f('fk_court_case_entity_id_market_entity')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_court_case')),
    sa.UniqueConstraint('client_id', 'case_no', 'entity_id', name=op.f('uq_court_case_client_id_case_no_entity_id'))
    )
    with op.batch_alter_table('court_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_court_case_entity_id'), ['entity_id'], unique=False)

    op.create_table('court_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('credential_id', sa.Integer(), nullable=True),
    sa.Column('result', sa.String(length=10), nullable=False),
    sa.Column('served_on', sa.Date(), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('case_snapshot', sa.JSON(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("result IN ('served', 'unserved')", name=op.f('ck_court_delivery_result_known')),
    sa.ForeignKeyConstraint(['case_id'], ['court_case.id'], name=op.f('fk_court_delivery_case_id_court_case')),
    sa.ForeignKeyConstraint(['client_id'], ['user_account.id'], name=op.f('fk_court_delivery_client_id_user_account')),
    sa.ForeignKeyConstraint(['credential_id'], ['api_credential.id'], name=op.f('fk_court_delivery_credential_id_api_credential')),
    sa.ForeignKeyConstraint(['entity_id'], ['market_entity.id'], name=op.f('fk_court_delivery_entity_id_market_entity')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_court_delivery_instance_id_process_instance')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_court_delivery'))
    )
    with op.batch_alter_table('court_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_court_delivery_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_court_delivery_case_result', ['case_id', 'result', 'served_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_court_delivery_entity_id'), ['entity_id'], unique=False)
        batch_op.create_index('ix_court_delivery_received', ['received_at'], unique=False)

    _source_check(NEW_SOURCES)
    rule = sa.table(
        'risk_rule', sa.column('code', sa.String), sa.column('name', sa.String), sa.column('source', sa.String),
        sa.column('params', sa.JSON), sa.column('enabled', sa.Boolean), sa.column('version', sa.Integer),
        sa.column('updated_at', sa.DateTime),
    )
    code, name, source, params = RULE
    exists = op.get_bind().execute(sa.text("SELECT 1 FROM risk_rule WHERE code = :code"), {"code": code}).first()
    if exists is None:
        op.bulk_insert(rule, [{"code": code, "name": name, "source": source, "params": params, "enabled": True,
                               "version": 1, "updated_at": datetime.now(timezone.utc).replace(tzinfo=None)}])


def downgrade():
    bind = op.get_bind()
    ids = sa.text("SELECT id FROM risk_rule WHERE code = :code")
    for table in ('risk_warning', 'risk_rule_change'):
        bind.execute(sa.text(f"DELETE FROM {table} WHERE rule_id IN ({ids.text})"), {"code": RULE[0]})
    bind.execute(sa.text("DELETE FROM risk_rule WHERE code = :code"), {"code": RULE[0]})
    _source_check(OLD_SOURCES)
    with op.batch_alter_table('court_delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_court_delivery_received')
        batch_op.drop_index(batch_op.f('ix_court_delivery_entity_id'))
        batch_op.drop_index('ix_court_delivery_case_result')
        batch_op.drop_index(batch_op.f('ix_court_delivery_case_id'))
    op.drop_table('court_delivery')
    with op.batch_alter_table('court_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_court_case_entity_id'))
    op.drop_table('court_case')
    with op.batch_alter_table('court_lookup', schema=None) as batch_op:
        batch_op.drop_index('ix_court_lookup_received')
        batch_op.drop_index(batch_op.f('ix_court_lookup_entity_id'))
    op.drop_table('court_lookup')
