"""lesson_progress: drop ix_lesson_progress_enrollment_id

The unique index on (enrollment_id, lesson_key) already serves every lookup by
enrollment_id (its leading column); the second index only cost space and a write per
completed lesson.

Revision ID: core_0023
Revises: core_0022
Create Date: 2026-11-25 10:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'core_0023'
down_revision = 'core_0022'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lesson_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lesson_progress_enrollment_id'))


def downgrade():
    with op.batch_alter_table('lesson_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lesson_progress_enrollment_id'), ['enrollment_id'], unique=False)
