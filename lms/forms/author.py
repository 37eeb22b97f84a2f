"""Forms for a course's authors: co-authors."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from lms.forms import Form


class CoAuthorForm(Form):
    login = StringField(_l("Email or NIP of the author to add"), validators=[InputRequired(), Length(max=254)])
