"""holiday table (calendar_day, calendar_year), seeded from chinesecalendar; reminder

reminder: the deadline reminders of 我的待办 (models/reminders.py), and two covering indexes for
the statistics (ix_task_object_task_removed, ix_inspection_record_figures).

The years the chinesecalendar package covers (1.11.0: 2004-2026) are loaded here, so a new
database computes working-day deadlines at once; later years are added on /admin/calendar or
by ``flask calendar seed`` after upgrading the package.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 14:00:00

"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def upgrade():
    day = op.create_table('calendar_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('holiday', 'workday')", name=op.f('ck_calendar_day_kind')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_calendar_day_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_day'))
    )
    year = op.create_table('calendar_year',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('year >= 1949 AND year <= 2200', name=op.f('ck_calendar_year_year_range')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_calendar_year_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_calendar_year'))
    )

    op.create_table('reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('pending', sa.Integer(), nullable=False),
    sa.Column('first_on', sa.Date(), nullable=False),
    sa.Column('reminded_on', sa.Date(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_reminder_department_id_department')),
    sa.ForeignKeyConstraint(['task_id'], ['inspection_task.id'], name=op.f('fk_reminder_task_id_inspection_task')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder')),
    sa.UniqueConstraint('task_id', 'department_id', 'kind', name=op.f('uq_reminder_task_id_department_id_kind'))
    )
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.create_index('ix_reminder_open', ['department_id', 'closed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminder_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminder_task_id'), ['task_id'], unique=False)

    with op.batch_alter_table('task_object', schema=None) as batch_op:
        batch_op.create_index('ix_task_object_task_removed', ['task_id', 'removed'], unique=False)
    with op.batch_alter_table('inspection_record', schema=None) as batch_op:
        batch_op.create_index('ix_inspection_record_figures', ['task_object_id', 'department_id', 'status', 'result'],
                              unique=False)

    from chinese_calendar import constants

    now = datetime.now(UTC).replace(tzinfo=None)
    listed = sorted({d.year for d in constants.holidays})
    rows = [{"day": d, "kind": "holiday", "name": NAMES.get(n, n), "updated_at": now}
            for d, n in constants.holidays.items()]
    rows += [{"day": d, "kind": "workday", "name": NAMES.get(n, n), "updated_at": now}
             for d, n in constants.workdays.items()]
    op.bulk_insert(day, sorted(rows, key=lambda r: r["day"]))
    op.bulk_insert(year, [{"year": y, "source": "chinesecalendar", "updated_at": now}
                          for y in range(listed[0], listed[-1] + 1)])


def downgrade():
    with op.batch_alter_table('inspection_record', schema=None) as batch_op:
        batch_op.drop_index('ix_inspection_record_figures')
    with op.batch_alter_table('task_object', schema=None) as batch_op:
        batch_op.drop_index('ix_task_object_task_removed')
    op.drop_table('reminder')
    op.drop_table('calendar_year')
    op.drop_table('calendar_day')
