"""published result versions are immutable in the database

inspection_result_version holds the published snapshots (公示检查结果) and their SHA-256; a
correction adds the next version and never rewrites one.  Triggers refuse UPDATE and DELETE of
these rows on SQLite and PostgreSQL, as the audit trail's do (docs/security.md).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 13:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            """
            CREATE FUNCTION inspection_result_version_immutable() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'published inspection_result_version rows are immutable';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER inspection_result_version_immutable BEFORE UPDATE OR DELETE "
            "ON inspection_result_version FOR EACH ROW EXECUTE FUNCTION inspection_result_version_immutable()"
        )
    else:
        for verb in ('UPDATE', 'DELETE'):
            op.execute(
                f"CREATE TRIGGER inspection_result_version_no_{verb.lower()} BEFORE {verb} "
                "ON inspection_result_version "
                "BEGIN SELECT RAISE(ABORT, 'published inspection_result_version rows are immutable'); END"
            )


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS inspection_result_version_immutable ON inspection_result_version')
        op.execute('DROP FUNCTION IF EXISTS inspection_result_version_immutable()')
    else:
        op.execute('DROP TRIGGER IF EXISTS inspection_result_version_no_update')
        op.execute('DROP TRIGGER IF EXISTS inspection_result_version_no_delete')
