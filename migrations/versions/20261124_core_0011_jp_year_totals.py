"""jp year totals: approved JP per person and year, the rollup the JP compliance report reads

Revision ID: core_0011
Revises: core_0010
Create Date: 2026-11-24 10:40:00

jp_year_totals (user_id, year) holds the sum of the person's approved JP entries of the year
and the sums per competency kind (NULL: no approved entry of that kind); no row means no
approved entry. lms.models.jp_totals keeps it current in the transaction of every ledger
change; this migration fills it from the existing ledger with one INSERT ... SELECT ...
GROUP BY (`flask lms rebuild-jp-totals` runs the same aggregate again, e.g. after a restore).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'core_0011'
down_revision = 'core_0010'
branch_labels = None
depends_on = None

FILL = """
INSERT INTO jp_year_totals (user_id, year, jp_total, jp_teknis, jp_manajerial, jp_sosial_kultural, jp_other)
SELECT user_id, year, SUM(jp),
       SUM(CASE WHEN competency = 'teknis' THEN jp END),
       SUM(CASE WHEN competency = 'manajerial' THEN jp END),
       SUM(CASE WHEN competency = 'sosial-kultural' THEN jp END),
       SUM(CASE WHEN competency NOT IN ('teknis', 'manajerial', 'sosial-kultural') THEN jp END)
FROM jp_entries
WHERE status = 'approved'
GROUP BY user_id, year
"""


def upgrade():
    op.create_table('jp_year_totals',
    sa.Column('user_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('jp_total', sa.Integer(), nullable=False),
    sa.Column('jp_teknis', sa.Integer(), nullable=True),
    sa.Column('jp_manajerial', sa.Integer(), nullable=True),
    sa.Column('jp_sosial_kultural', sa.Integer(), nullable=True),
    sa.Column('jp_other', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_jp_year_totals_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', 'year', name=op.f('pk_jp_year_totals'))
    )
    with op.batch_alter_table('jp_year_totals', schema=None) as batch_op:
        batch_op.create_index('ix_jp_year_totals_year_jp', ['year', 'jp_total'], unique=False)
    op.execute(FILL)


def downgrade():
    with op.batch_alter_table('jp_year_totals', schema=None) as batch_op:
        batch_op.drop_index('ix_jp_year_totals_year_jp')
    op.drop_table('jp_year_totals')
