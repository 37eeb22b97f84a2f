"""The plugin's own table; its name starts with the plugin's name."""
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.plugin import db


class CourseCompletion(db.Model):
    """A course a learner completed while the plugin was enabled."""

    __tablename__ = "hello_completions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    course_slug: Mapped[str] = mapped_column(String(120))
