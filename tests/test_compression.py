"""Gzip of text responses for clients that accept it (lms.compression)."""
from __future__ import annotations

import gzip

import pytest

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def test_static_css_is_gzipped_with_its_own_etag_and_revalidates(lms_client):
    plain = lms_client.get("/static/css/lms.css")
    plain_data = plain.get_data()
    plain.close()
    assert "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers["Vary"]

    packed = lms_client.get("/static/css/lms.css", headers=GZIP)
    data = packed.get_data()
    packed.close()
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(data) == plain_data
    assert int(packed.headers["Content-Length"]) == len(data) < len(plain_data) / 3
    assert packed.headers["ETag"].endswith('-gz"') and packed.headers["ETag"] != plain.headers["ETag"]
    assert "Accept-Encoding" in packed.headers["Vary"]

    again = lms_client.get("/static/css/lms.css", headers={**GZIP, "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == packed.headers["ETag"]
    identity = lms_client.get("/static/css/lms.css", headers={"If-None-Match": plain.headers["ETag"]})
    identity.close()
    assert identity.status_code == 304


def test_pages_are_gzipped_only_for_clients_that_accept_it(lms_client):
    packed = lms_client.get("/courses", headers=GZIP)
    assert packed.headers["Content-Encoding"] == "gzip"
    html = gzip.decompress(packed.get_data()).decode()
    assert "<html" in html
    assert "Content-Security-Policy" in packed.headers  # the other headers are still there
    assert "Content-Encoding" not in lms_client.get("/courses").headers
    refused = lms_client.get("/courses", headers={"Accept-Encoding": "gzip;q=0, br"})
    assert "Content-Encoding" not in refused.headers


def test_small_binary_head_and_error_responses_are_left_alone(lms_client):
    small = lms_client.get("/static/img/logo.svg", headers=GZIP)  # under 512 bytes
    small.close()
    assert "Content-Encoding" not in small.headers
    head = lms_client.head("/static/css/lms.css", headers=GZIP)
    head.close()
    assert "Content-Encoding" not in head.headers
    missing = lms_client.get("/no-such-page", headers=GZIP)
    assert missing.status_code == 404 and "Content-Encoding" not in missing.headers


@pytest.mark.lms_config(COMPRESS_HTML=False)
def test_html_compression_can_be_switched_off(lms_client):
    assert "Content-Encoding" not in lms_client.get("/courses", headers=GZIP).headers
    css = lms_client.get("/static/css/lms.css", headers=GZIP)
    css.close()
    assert css.headers["Content-Encoding"] == "gzip"


@pytest.mark.lms_config(COMPRESS_RESPONSES=False)
def test_all_compression_can_be_switched_off(lms_client):
    css = lms_client.get("/static/css/lms.css", headers=GZIP)
    css.close()
    assert "Content-Encoding" not in css.headers
