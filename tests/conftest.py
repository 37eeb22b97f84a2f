"""Core suite fixtures; the generic ones (lms_app, lms_client, ...) come from lms.testing."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

EXAMPLE_DIR = Path(__file__).parent / "example_plugin"


@pytest.fixture
def example_dist(lms_plugin_dist):
    """Install the example plugin as a distribution with an lms.plugins entry point."""
    return lms_plugin_dist("example", "lms_example.plugin", version="0.3", source_dir=EXAMPLE_DIR)


@pytest.fixture
def example_app(example_dist, request):
    """lms_app with the example plugin installed and, unless a marker says otherwise, enabled."""
    config = request.getfixturevalue("lms_config")
    if request.node.get_closest_marker("lms_plugins") is None and isinstance(config["PLUGINS"], list):
        config["PLUGINS"] = [*config["PLUGINS"], "example"]
    return request.getfixturevalue("lms_app")



@pytest.fixture
def units(lms_app):
    """A small agency: PEMKOT (instansi) > DISDIK (OPD) > DISDIK-SD (sub-unit); PEMKOT > DINKES (OPD).

    Shared by the administration tests (scoping by subtree); files needing another tree
    define their own ``units``.
    """
    from lms.services import orgs

    with lms_app.app_context():
        root = orgs.create_unit(code="PEMKOT", name="Pemerintah Kota", kind="instansi")
        disdik = orgs.create_unit(code="DISDIK", name="Dinas Pendidikan", kind="opd", parent=root)
        sd = orgs.create_unit(code="DISDIK-SD", name="Bidang SD", kind="sub_unit", parent=disdik)
        dinkes = orgs.create_unit(code="DINKES", name="Dinas Kesehatan", kind="opd", parent=root)
        return SimpleNamespace(root=root, disdik=disdik, sd=sd, dinkes=dinkes,
                               ids={u.code: u.id for u in (root, disdik, sd, dinkes)})


@pytest.fixture
def redis_url():
    """A reachable Redis (LMS_TEST_REDIS_URL, else local db 15) or skip; CI always has one."""
    import os

    import redis

    url = os.environ.get("LMS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs Redis at {url}")
        pytest.skip(f"no Redis at {url}")
    return url


@pytest.fixture
def redis_prefix(redis_url):
    """A key prefix of its own for this test; its keys are deleted afterwards."""
    import uuid

    import redis

    prefix = f"lmstest-{uuid.uuid4().hex[:12]}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{prefix}*")) + list(client.scan_iter(f"rq:*{prefix}*"))
    if keys:
        client.delete(*keys)
