"""jp_entries: experiential learning (kind, measure, measure_unit, reference_number, decided_as)

Entries recorded before kinds existed were external training credited with the JP the
learner typed: they become kind "pelatihan" measured in JP.

Revision ID: core_0022
Revises: core_0021
Create Date: 2026-11-24 20:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'core_0022'
down_revision = 'core_0021'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('jp_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='', nullable=False))
        batch_op.add_column(sa.Column('measure', sa.Numeric(precision=8, scale=2), nullable=True))
        batch_op.add_column(sa.Column('measure_unit', sa.String(length=10), server_default='', nullable=False))
        batch_op.add_column(sa.Column('reference_number', sa.String(length=100), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('decided_as', sa.String(length=20), server_default='', nullable=False))
    op.execute("UPDATE jp_entries SET kind = 'pelatihan', measure = jp, measure_unit = 'jp' "
               "WHERE source = 'external'")
    op.execute("UPDATE jp_entries SET decided_as = (SELECT CASE users.role WHEN 'admin' THEN 'admin' "
               "ELSE 'unit_admin' END FROM users WHERE users.id = jp_entries.decided_by_id) "
               "WHERE decided_by_id IS NOT NULL")


def downgrade():
    with op.batch_alter_table('jp_entries', schema=None) as batch_op:
        batch_op.drop_column('decided_as')
        batch_op.drop_column('reference_number')
        batch_op.drop_column('measure_unit')
        batch_op.drop_column('measure')
        batch_op.drop_column('kind')
