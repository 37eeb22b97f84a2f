"""Blueprints, one per area; plugins add theirs through the register_blueprints hook."""
from __future__ import annotations

import logging

from flask import Flask, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from werkzeug.routing import BuildError

from lms import fragments
from lms.plugins import PluginHost

log = logging.getLogger(__name__)


def register_all(app: Flask, host: PluginHost) -> None:
    """Register core blueprints, then each plugin's, checking that names carry the plugin's."""
    from lms.blueprints import (admin, api, auth, author, catalog, certificates, dashboard, editor,
                                health, jp, learn, main, offline, profile, quiz, scorm, training_history)

    for module in (main, auth, profile, catalog, learn, scorm, quiz, offline, dashboard, certificates, jp,
                   training_history, author, editor, admin, api, health):
        app.register_blueprint(module.bp)
    for plugin, blueprints in host.contributions("register_blueprints", app=app):
        for bp in blueprints or []:
            if not _named_for(bp, plugin, host):
                host.refuse_registered(plugin, f"blueprint {bp.name!r} must start with {plugin!r}")
                break
            app.register_blueprint(bp)
    app.context_processor(lambda: {"nav_links": lambda: nav_links(host),
                                   "site_header": lambda: site_header(host)})


def _named_for(bp, plugin: str, host: PluginHost) -> bool:
    return host.infos[plugin].status == "builtin" or bp.name.startswith(plugin)


def nav_links(host: PluginHost) -> list[tuple[str, str]]:
    """(label, url) pairs for the header; an item whose endpoint fails is logged and dropped."""
    links = []
    for item in sorted(host.collect("nav_items", user=current_user), key=lambda i: i.weight):
        try:
            links.append((item.label, url_for(item.endpoint, **item.url_values)))
        except BuildError:
            log.error("nav item %r points at unknown endpoint %r", item.label, item.endpoint)
    return links


#: Paths longer than this (a long query string) render their header without the cache.
_CACHED_PATH_LIMIT = 300


def site_header(host: PluginHost) -> Markup:
    """The site header: rendered once per (menu, language, path, signed in) in each process
    (lms/fragments.py); only the CSRF token of its two forms is this visitor's."""
    links = nav_links(host)
    signed_in = current_user.is_authenticated
    next_url = request.full_path if request.query_string else request.path

    def render() -> str:
        return render_template("_site_header.html", links=links, signed_in=signed_in, path=request.path,
                               next_url=next_url, csrf_slot=fragments.slot("csrf"))

    if len(next_url) > _CACHED_PATH_LIMIT:
        html = render()
    else:
        key = (tuple((str(label), url) for label, url in links), signed_in, request.path, next_url)
        html = fragments.cached("site-header", key, render)
    return fragments.fill(html, {"csrf": generate_csrf()})
