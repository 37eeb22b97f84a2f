"""digital_service: webhook outbox (first revision of the plugin's own branch)

Revision ID: digital_service_0001
Revises: (none: first revision of branch "digital_service")
"""
import sqlalchemy as sa
from alembic import op

revision = "digital_service_0001"
down_revision = None
branch_labels = ("digital_service",)
depends_on = None  # no foreign keys into the core: the payload is a snapshot


def upgrade():
    op.create_table(
        "digital_service_webhook_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digital_service_webhook_deliveries")),
        sa.UniqueConstraint("event_id", name=op.f("uq_digital_service_webhook_deliveries_event_id")),
    )
    with op.batch_alter_table("digital_service_webhook_deliveries") as batch_op:
        batch_op.create_index("ix_digital_service_webhook_deliveries_status_next_attempt_at",
                              ["status", "next_attempt_at"], unique=False)


def downgrade():
    with op.batch_alter_table("digital_service_webhook_deliveries") as batch_op:
        batch_op.drop_index("ix_digital_service_webhook_deliveries_status_next_attempt_at")
    op.drop_table("digital_service_webhook_deliveries")
