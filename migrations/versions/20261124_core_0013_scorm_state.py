"""scorm state: SCORM 1.2 runtime data per enrolment and lesson key

Revision ID: core_0013
Revises: core_0012
Create Date: 2026-11-24 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'core_0013'
down_revision = 'core_0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('scorm_states',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enrollment_id', sa.Integer(), nullable=False),
    sa.Column('lesson_key', sa.String(length=80), nullable=False),
    sa.Column('lesson_status', sa.String(length=20), nullable=False),
    sa.Column('score_raw', sa.Numeric(precision=9, scale=4), nullable=True),
    sa.Column('score_min', sa.Numeric(precision=9, scale=4), nullable=True),
    sa.Column('score_max', sa.Numeric(precision=9, scale=4), nullable=True),
    sa.Column('lesson_location', sa.String(length=255), nullable=False),
    sa.Column('suspend_data', sa.Text(), nullable=False),
    sa.Column('comments', sa.Text(), nullable=False),
    sa.Column('exit', sa.String(length=20), nullable=False),
    sa.Column('total_time_cs', sa.Integer(), nullable=False),
    sa.Column('session_token', sa.String(length=64), nullable=True),
    sa.Column('session_time_cs', sa.Integer(), nullable=False),
    sa.Column('sessions', sa.Integer(), nullable=False),
    sa.Column('preferences', sa.JSON(), nullable=False),
    sa.Column('objectives', sa.JSON(), nullable=False),
    sa.Column('interactions', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False),
    sa.ForeignKeyConstraint(['enrollment_id'], ['enrollments.id'], name=op.f('fk_scorm_states_enrollment_id_enrollments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scorm_states')),
    sa.UniqueConstraint('enrollment_id', 'lesson_key', name=op.f('uq_scorm_states_enrollment_id'))
    )
    with op.batch_alter_table('scorm_states', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scorm_states_enrollment_id'), ['enrollment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_scorm_states_lesson_status'), ['lesson_status'], unique=False)


def downgrade():
    with op.batch_alter_table('scorm_states', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scorm_states_lesson_status'))
        batch_op.drop_index(batch_op.f('ix_scorm_states_enrollment_id'))

    op.drop_table('scorm_states')
