"""考核: yearly scorecard runs, cards, deductions citing their records, the assessing office's
judgements and evidence (docs/assessment.md)

Revision ID: 0043
Revises: 0040
Create Date: 2026-12-08 01:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0043'
down_revision = '0042'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'assessment_run',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('region_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('as_of', sa.Date(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['region_id'], ['department.id'], name=op.f('fk_assessment_run_region_id_department')),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'],
                                name=op.f('fk_assessment_run_created_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_run')),
    )
    op.create_index(op.f('ix_assessment_run_region_id'), 'assessment_run', ['region_id'])
    op.create_table(
        'assessment_card',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('areas', sa.JSON(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=True),
        sa.Column('records', sa.Integer(), nullable=False),
        sa.Column('pending', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['run_id'], ['assessment_run.id'], ondelete='CASCADE',
                                name=op.f('fk_assessment_card_run_id_assessment_run')),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'],
                                name=op.f('fk_assessment_card_department_id_department')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_card')),
    )
    op.create_index(op.f('ix_assessment_card_run_id'), 'assessment_card', ['run_id'])
    op.create_index(op.f('ix_assessment_card_department_id'), 'assessment_card', ['department_id'])
    op.create_table(
        'assessment_deduction',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('card_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('item', sa.String(length=10), nullable=False),
        sa.Column('points', sa.Integer(), nullable=False),
        sa.Column('record_kind', sa.String(length=30), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('on_date', sa.Date(), nullable=True),
        sa.Column('detail', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['card_id'], ['assessment_card.id'], ondelete='CASCADE',
                                name=op.f('fk_assessment_deduction_card_id_assessment_card')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_deduction')),
    )
    op.create_index(op.f('ix_assessment_deduction_card_id'), 'assessment_deduction', ['card_id'])
    op.create_table(
        'assessment_judgement',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('item', sa.String(length=10), nullable=False),
        sa.Column('points', sa.Integer(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('judged_by_id', sa.Integer(), nullable=True),
        sa.Column('judged_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'],
                                name=op.f('fk_assessment_judgement_department_id_department')),
        sa.ForeignKeyConstraint(['judged_by_id'], ['user_account.id'],
                                name=op.f('fk_assessment_judgement_judged_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_judgement')),
        sa.UniqueConstraint('year', 'department_id', 'item',
                            name=op.f('uq_assessment_judgement_year_department_id_item')),
    )
    op.create_index(op.f('ix_assessment_judgement_department_id'), 'assessment_judgement', ['department_id'])
    op.create_table(
        'assessment_evidence',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('judgement_id', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.Column('uploaded_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['judgement_id'], ['assessment_judgement.id'], ondelete='CASCADE',
                                name=op.f('fk_assessment_evidence_judgement_id_assessment_judgement')),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'],
                                name=op.f('fk_assessment_evidence_uploaded_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_evidence')),
    )
    op.create_index(op.f('ix_assessment_evidence_judgement_id'), 'assessment_evidence', ['judgement_id'])


def downgrade():
    op.drop_table('assessment_evidence')
    op.drop_table('assessment_judgement')
    op.drop_table('assessment_deduction')
    op.drop_table('assessment_card')
    op.drop_table('assessment_run')
