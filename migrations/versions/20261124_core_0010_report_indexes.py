"""report indexes: JP compliance reads a person's approved JP of a year from one index

Revision ID: core_0010
Revises: core_0009
Create Date: 2026-11-24 10:10:00

ix_jp_entries_report (year, status, user_id, competency, jp) serves lms.services.jp_reports:
the year's approved range in user order, with the competency and the JP in the index itself
(an index-only scan on PostgreSQL, a covering index on SQLite); see bench/README.md.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'core_0010'
down_revision = 'core_0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('jp_entries', schema=None) as batch_op:
        batch_op.create_index('ix_jp_entries_report', ['year', 'status', 'user_id', 'competency', 'jp'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('jp_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_jp_entries_report')
