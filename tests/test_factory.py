"""create_app: config classes, LMS_* environment overrides, secrets, database URLs."""
from __future__ import annotations

import stat

import pytest

from config import DevelopmentConfig, ProductionConfig
from lms import create_app
from lms.errors import StartupError

STRONG_KEY = "k" * 40


def test_testing_config_is_applied(lms_app):
    assert lms_app.testing
    assert lms_app.config["STRICT_PLUGINS"] is True
    assert lms_app.config["PLUGIN_ERRORS"] == "raise"


def test_environment_overrides_every_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("LMS_SECRET_KEY", STRONG_KEY)
    monkeypatch.setenv("LMS_DATABASE_URL", f"sqlite:///{tmp_path}/env.sqlite3")
    monkeypatch.setenv("LMS_ALLOW_REGISTRATION", "false")
    monkeypatch.setenv("LMS_DISABLED_PLUGINS", "eoffice, hello")
    app = create_app(ProductionConfig)
    assert app.config["SECRET_KEY"] == STRONG_KEY
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/env.sqlite3"
    assert app.config["ALLOW_REGISTRATION"] is False
    assert app.config["DISABLED_PLUGINS"] == ["eoffice", "hello"]


def test_lms_config_selects_the_class(monkeypatch, tmp_path):
    monkeypatch.setenv("LMS_CONFIG", "testing")
    monkeypatch.setenv("LMS_DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite3")
    assert create_app().testing


def test_unknown_config_name_is_refused(monkeypatch):
    monkeypatch.setenv("LMS_CONFIG", "staging")
    with pytest.raises(StartupError, match="unknown LMS_CONFIG 'staging'"):
        create_app()


@pytest.mark.parametrize("key", [None, "", "short"])
def test_production_refuses_to_start_without_a_strong_secret(monkeypatch, tmp_path, key):
    monkeypatch.delenv("LMS_SECRET_KEY", raising=False)
    overrides = {"DATABASE_URL": f"sqlite:///{tmp_path}/p.sqlite3"}
    if key is not None:
        overrides["SECRET_KEY"] = key
    with pytest.raises(StartupError, match="LMS_SECRET_KEY is missing or shorter"):
        create_app(ProductionConfig, overrides)


def test_production_with_secret_starts_with_secure_cookies(tmp_path):
    app = create_app(ProductionConfig, {"SECRET_KEY": STRONG_KEY,
                                        "DATABASE_URL": f"sqlite:///{tmp_path}/p.sqlite3"})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]


def test_development_generates_and_keeps_a_secret(monkeypatch, tmp_path):
    monkeypatch.delenv("LMS_SECRET_KEY", raising=False)

    def make():
        from flask import Flask

        app = Flask("devcheck", instance_path=str(tmp_path / "instance"))
        app.config["SECRET_KEY"] = None
        DevelopmentConfig.prepare(app)
        return app.config["SECRET_KEY"]

    first, second = make(), make()
    assert first == second and len(first) == 64
    mode = (tmp_path / "instance" / "secret_key").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_default_database_is_sqlite_in_instance(monkeypatch):
    monkeypatch.delenv("LMS_DATABASE_URL", raising=False)
    app = create_app("testing")
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/lms.sqlite3")


@pytest.mark.parametrize("url", ["postgresql://postgres@db/lms", "postgres://postgres@db/lms"])
def test_postgres_urls_use_psycopg3(url):
    from lms.settings import normalise_url

    assert normalise_url(url) == "postgresql+psycopg://postgres@db/lms"
