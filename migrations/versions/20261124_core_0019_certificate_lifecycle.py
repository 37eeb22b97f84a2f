"""certificate lifecycle: validity and expiry, reminders, recertification cycles, signing

Existing certificates keep expires_on NULL (they never expire) and sign_status NULL (a
signing plugin, once installed, signs them too).

Revision ID: core_0019
Revises: core_0018
Create Date: 2026-11-24 20:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'core_0019'
down_revision = 'core_0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('certificate_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], name=op.f('fk_certificate_reminders_certificate_id_certificates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_reminders')),
    sa.UniqueConstraint('certificate_id', 'kind', name='uq_certificate_reminders_kind')
    )
    with op.batch_alter_table('certificate_reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_reminders_certificate_id'), ['certificate_id'], unique=False)

    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('sign_status', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('sign_attempts', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('sign_error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('signed_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('signed_by', sa.String(length=100), nullable=True))
        batch_op.create_index(batch_op.f('ix_certificates_expires_on'), ['expires_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificates_sign_status'), ['sign_status'], unique=False)

    with op.batch_alter_table('course_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('certificate_validity_months', sa.Integer(), nullable=True))

    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cycle_started_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.drop_column('cycle_started_at')

    with op.batch_alter_table('course_versions', schema=None) as batch_op:
        batch_op.drop_column('certificate_validity_months')

    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificates_sign_status'))
        batch_op.drop_index(batch_op.f('ix_certificates_expires_on'))
        batch_op.drop_column('signed_by')
        batch_op.drop_column('signed_sha256')
        batch_op.drop_column('signed_at')
        batch_op.drop_column('sign_error')
        batch_op.drop_column('sign_attempts')
        batch_op.drop_column('sign_status')
        batch_op.drop_column('expires_on')

    with op.batch_alter_table('certificate_reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_reminders_certificate_id'))

    op.drop_table('certificate_reminders')
