"""Blueprints, one per area; plugins add theirs through the register_blueprints hook."""
from __future__ import annotations

import logging

from flask import Flask, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

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
    app.context_processor(lambda: {"nav_links": lambda: nav_links(host)})


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
