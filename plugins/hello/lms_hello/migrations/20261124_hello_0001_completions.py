"""hello: completions table (the first revision of the plugin's own branch)

Revision ID: hello_0001
Revises: (none: the first revision of branch "hello")
"""
import sqlalchemy as sa
from alembic import op

revision = "hello_0001"
down_revision = None
branch_labels = ("hello",)
depends_on = "core_0001"  # the core revision that creates users, which user_id points at


def upgrade():
    op.create_table(
        "hello_completions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("course_slug", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_hello_completions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hello_completions")),
    )
    with op.batch_alter_table("hello_completions") as batch_op:
        batch_op.create_index(batch_op.f("ix_hello_completions_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("hello_completions") as batch_op:
        batch_op.drop_index(batch_op.f("ix_hello_completions_user_id"))
    op.drop_table("hello_completions")
