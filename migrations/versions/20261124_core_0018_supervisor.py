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
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite adds a column with its reference in place; batch mode would rebuild `users`,
        # which a site's existing rows referencing it (enrolments, ledger...) forbid.
        op.execute('ALTER TABLE users ADD COLUMN supervisor_id INTEGER '
                   'CONSTRAINT fk_users_supervisor_id_users REFERENCES users (id) ON DELETE SET NULL')
        op.create_index(op.f('ix_users_supervisor_id'), 'users', ['supervisor_id'], unique=False)
        return
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('supervisor_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_supervisor_id'), ['supervisor_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_users_supervisor_id_users'), 'users',
                                    ['supervisor_id'], ['id'], ondelete='SET NULL')


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':  # the reference has no name there: the rebuild drops it
        op.drop_index(op.f('ix_users_supervisor_id'), table_name='users')
        with op.batch_alter_table('users', schema=None, recreate='always') as batch_op:
            batch_op.drop_column('supervisor_id')
        return
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_supervisor_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_users_supervisor_id'))
        batch_op.drop_column('supervisor_id')
