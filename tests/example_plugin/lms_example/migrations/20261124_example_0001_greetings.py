"""example: greetings table (first revision of the plugin's own branch)

Revision ID: example_0001
Revises: (none: first revision of branch "example")
"""
import sqlalchemy as sa
from alembic import op

revision = "example_0001"
down_revision = None
branch_labels = ("example",)
depends_on = "core_0001"  # the users table our foreign key points at


def upgrade():
    op.create_table(
        "example_greetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_example_greetings_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_example_greetings")),
    )
    with op.batch_alter_table("example_greetings") as batch_op:
        batch_op.create_index(batch_op.f("ix_example_greetings_user_id"), ["user_id"], unique=False)


def downgrade():
    op.drop_table("example_greetings")
