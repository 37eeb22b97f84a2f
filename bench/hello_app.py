"""The smallest Flask app, the yardstick of bench/load.py: ``GET /`` answers "Hello, World!".

Served by the same gunicorn command and settings as the LMS
(``gunicorn -c python:lms.gunicorn_conf bench.hello_app:app``), so the ratio of the two
throughputs shows what the LMS costs on top of Flask and gunicorn themselves.
"""
from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
