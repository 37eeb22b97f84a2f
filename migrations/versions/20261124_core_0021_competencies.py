"""competencies: catalogue, course/lesson tags, SPBE domains, positions (jabatan)

Revision ID: core_0021
Revises: core_0020
Create Date: 2026-11-24 20:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'core_0021'
down_revision = 'core_0020'
branch_labels = None
depends_on = None

KINDS = ('teknis', 'manajerial', 'sosial-kultural')
DOMAINS = ('kebijakan-internal', 'tata-kelola', 'manajemen', 'layanan')


def _kind():
    return sa.Enum(*KINDS, name='competency', native_enum=False, length=20)


def _domain():
    return sa.Enum(*DOMAINS, name='spbedomain', native_enum=False, length=30)


def upgrade():
    op.create_table('competencies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', _kind(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('spbe_domain', _domain(), nullable=True),
    sa.Column('spbe_aspect', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_competencies')),
    sa.UniqueConstraint('code', name=op.f('uq_competencies_code'))
    )
    with op.batch_alter_table('competencies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_competencies_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_competencies_spbe_domain'), ['spbe_domain'], unique=False)

    op.create_table('positions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_positions')),
    sa.UniqueConstraint('code', name=op.f('uq_positions_code'))
    )
    op.create_table('position_competencies',
    sa.Column('position_id', sa.Integer(), nullable=False),
    sa.Column('competency_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['competency_id'], ['competencies.id'], name=op.f('fk_position_competencies_competency_id_competencies')),
    sa.ForeignKeyConstraint(['position_id'], ['positions.id'], name=op.f('fk_position_competencies_position_id_positions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('position_id', 'competency_id', name=op.f('pk_position_competencies'))
    )
    with op.batch_alter_table('position_competencies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_position_competencies_competency_id'), ['competency_id'], unique=False)

    op.create_table('course_version_competencies',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('competency_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['competency_id'], ['competencies.id'], name=op.f('fk_course_version_competencies_competency_id_competencies')),
    sa.ForeignKeyConstraint(['version_id'], ['course_versions.id'], name=op.f('fk_course_version_competencies_version_id_course_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('version_id', 'competency_id', name=op.f('pk_course_version_competencies'))
    )
    with op.batch_alter_table('course_version_competencies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_version_competencies_competency_id'), ['competency_id'], unique=False)

    op.create_table('lesson_competencies',
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('competency_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['competency_id'], ['competencies.id'], name=op.f('fk_lesson_competencies_competency_id_competencies')),
    sa.ForeignKeyConstraint(['lesson_id'], ['lessons.id'], name=op.f('fk_lesson_competencies_lesson_id_lessons'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('lesson_id', 'competency_id', name=op.f('pk_lesson_competencies'))
    )
    with op.batch_alter_table('lesson_competencies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lesson_competencies_competency_id'), ['competency_id'], unique=False)

    with op.batch_alter_table('course_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('spbe_domain', _domain(), nullable=True))
        batch_op.create_index(batch_op.f('ix_course_versions_spbe_domain'), ['spbe_domain'], unique=False)

    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('spbe_domain', _domain(), nullable=True))
        batch_op.create_index(batch_op.f('ix_lessons_spbe_domain'), ['spbe_domain'], unique=False)

    if op.get_bind().dialect.name == 'sqlite':
        # In place: batch mode would rebuild `users`, which existing referencing rows forbid.
        op.execute('ALTER TABLE users ADD COLUMN position_id INTEGER '
                   'CONSTRAINT fk_users_position_id_positions REFERENCES positions (id) ON DELETE SET NULL')
        op.create_index(op.f('ix_users_position_id'), 'users', ['position_id'], unique=False)
        return
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('position_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_position_id'), ['position_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_users_position_id_positions'), 'positions',
                                    ['position_id'], ['id'], ondelete='SET NULL')


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':  # the reference has no name there: the rebuild drops it
        op.drop_index(op.f('ix_users_position_id'), table_name='users')
        with op.batch_alter_table('users', schema=None, recreate='always') as batch_op:
            batch_op.drop_column('position_id')
    else:
        _drop_position_reference()
    _downgrade_rest()


def _drop_position_reference():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_position_id_positions'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_users_position_id'))
        batch_op.drop_column('position_id')


def _downgrade_rest():
    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lessons_spbe_domain'))
        batch_op.drop_column('spbe_domain')

    with op.batch_alter_table('course_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_versions_spbe_domain'))
        batch_op.drop_column('spbe_domain')

    with op.batch_alter_table('lesson_competencies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lesson_competencies_competency_id'))
    op.drop_table('lesson_competencies')

    with op.batch_alter_table('course_version_competencies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_version_competencies_competency_id'))
    op.drop_table('course_version_competencies')

    with op.batch_alter_table('position_competencies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_position_competencies_competency_id'))
    op.drop_table('position_competencies')
    op.drop_table('positions')

    with op.batch_alter_table('competencies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_competencies_spbe_domain'))
        batch_op.drop_index(batch_op.f('ix_competencies_kind'))
    op.drop_table('competencies')
