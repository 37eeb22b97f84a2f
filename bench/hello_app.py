"""The smallest Flask app, the yardstick of bench/load.py: ``GET /`` answers "Hello, World!".

Served by the same gunicorn command and settings as the LMS
(``gunicorn -c python:lms.gunicorn_conf bench.hello_app:app``), so the ratio of the two
throughputs shows what the LMS costs on top of Flask and gunicorn themselves.

The production settings' ``post_fork`` hook resets the database engine of the preloaded app
(``lms.connections.after_fork``), so this app registers the LMS's SQLAlchemy instance on an
in-memory SQLite URL that no request touches; without it every worker would fail to boot.
"""
from __future__ import annotations

from flask import Flask

from lms.database import db

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
db.init_app(app)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
