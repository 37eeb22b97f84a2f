"""users.supervisor_id: each person's direct supervisor (atasan langsung)

Revision ID: core_0018
Revises: core_0017
Create Date: 2026-11-24 20:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'core_0018'
down_revision = 'core_0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('supervisor_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_supervisor_id'), ['supervisor_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_users_supervisor_id_users'), 'users',
                                    ['supervisor_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_supervisor_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_users_supervisor_id'))
        batch_op.drop_column('supervisor_id')
