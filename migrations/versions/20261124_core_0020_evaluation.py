"""Post-training evaluation: course forms, requests (who was asked), responses and answers

Revision ID: core_0020
Revises: core_0019
Create Date: 2026-11-24 20:20:48.221297

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'core_0020'
down_revision = 'core_0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('evaluation_forms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('followup_weeks', sa.Integer(), nullable=True),
    sa.Column('questions', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_evaluation_forms_course_id_courses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_forms')),
    sa.UniqueConstraint('course_id', name=op.f('uq_evaluation_forms_course_id'))
    )
    op.create_table('evaluation_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('course', 'followup_learner', 'followup_supervisor', name='evaluationkind', native_enum=False, length=20), nullable=False),
    sa.Column('enrollment_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('respondent_id', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('responded', sa.Boolean(), nullable=False),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_evaluation_requests_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['enrollment_id'], ['enrollments.id'], name=op.f('fk_evaluation_requests_enrollment_id_enrollments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['respondent_id'], ['users.id'], name=op.f('fk_evaluation_requests_respondent_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subject_id'], ['users.id'], name=op.f('fk_evaluation_requests_subject_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_evaluation_requests_unit_id_units'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_requests')),
    sa.UniqueConstraint('enrollment_id', 'kind', name=op.f('uq_evaluation_requests_enrollment_id'))
    )
    with op.batch_alter_table('evaluation_requests', schema=None) as batch_op:
        batch_op.create_index('ix_evaluation_requests_course_kind', ['course_id', 'kind'], unique=False)
        batch_op.create_index('ix_evaluation_requests_respondent_open', ['respondent_id', 'responded'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_requests_subject_id'), ['subject_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_requests_unit_id'), ['unit_id'], unique=False)

    op.create_table('evaluation_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('course', 'followup_learner', 'followup_supervisor', name='evaluationkind', native_enum=False, length=20), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_evaluation_responses_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['evaluation_requests.id'], name=op.f('fk_evaluation_responses_request_id_evaluation_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_evaluation_responses_unit_id_units'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_responses')),
    sa.UniqueConstraint('request_id', name=op.f('uq_evaluation_responses_request_id'))
    )
    with op.batch_alter_table('evaluation_responses', schema=None) as batch_op:
        batch_op.create_index('ix_evaluation_responses_course_kind', ['course_id', 'kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_responses_unit_id'), ['unit_id'], unique=False)

    op.create_table('evaluation_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('question_key', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['response_id'], ['evaluation_responses.id'], name=op.f('fk_evaluation_answers_response_id_evaluation_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_answers')),
    sa.UniqueConstraint('response_id', 'question_key', name=op.f('uq_evaluation_answers_response_id'))
    )
    with op.batch_alter_table('evaluation_answers', schema=None) as batch_op:
        batch_op.create_index('ix_evaluation_answers_key_value', ['question_key', 'value'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_answers_response_id'), ['response_id'], unique=False)



def downgrade():
    with op.batch_alter_table('evaluation_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_answers_response_id'))
        batch_op.drop_index('ix_evaluation_answers_key_value')

    op.drop_table('evaluation_answers')
    with op.batch_alter_table('evaluation_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_responses_unit_id'))
        batch_op.drop_index('ix_evaluation_responses_course_kind')

    op.drop_table('evaluation_responses')
    with op.batch_alter_table('evaluation_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_requests_unit_id'))
        batch_op.drop_index(batch_op.f('ix_evaluation_requests_subject_id'))
        batch_op.drop_index('ix_evaluation_requests_respondent_open')
        batch_op.drop_index('ix_evaluation_requests_course_kind')

    op.drop_table('evaluation_requests')
    op.drop_table('evaluation_forms')
