"""Typed registries filled through hooks once at startup (lesson types, completion rules)."""
from __future__ import annotations

from typing import Generic, TypeVar

from flask import Flask, current_app

from lms.errors import LmsError
from lms.plugins import PluginHost

T = TypeVar("T")


class UnknownKey(LmsError):
    """A key that no plugin registered (e.g. a lesson type whose plugin was removed)."""


class Registry(Generic[T]):
    """Items keyed by ``item.key``; a key claimed by two plugins refuses the second."""

    def __init__(self, kind: str, hook: str):
        self.kind, self.hook = kind, hook
        self._items: dict[str, T] = {}
        self._owners: dict[str, str] = {}

    def build(self, host: PluginHost) -> Registry[T]:
        # Registration order (builtins first): the plugin that comes second is the one refused.
        for plugin, items in reversed(host.contributions(self.hook)):
            problem = self._check(plugin, items or [])
            if problem:
                host.refuse_registered(plugin, problem)
                continue
            for item in items or []:
                self._items[item.key] = item
                self._owners[item.key] = plugin
        return self

    def _check(self, plugin: str, items: list) -> str | None:
        seen: set[str] = set()
        for item in items:
            key = getattr(item, "key", "")
            if not isinstance(key, str) or not key:
                return f"{self.hook} returned a {self.kind} without a key: {item!r}"
            if key in self._owners:
                return f"{self.kind} {key!r} is already registered by {self._owners[key]}"
            if key in seen:
                return f"{self.hook} returned the {self.kind} {key!r} twice"
            seen.add(key)
        return None

    def get(self, key: str) -> T:
        try:
            return self._items[key]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            raise UnknownKey(f"unknown {self.kind} {key!r}; known: {known}") from None

    def __contains__(self, key: str) -> bool:
        return key in self._items

    def keys(self) -> list[str]:
        return sorted(self._items)

    def values(self) -> list[T]:
        return [self._items[k] for k in self.keys()]

    def owner(self, key: str) -> str:
        return self._owners[key]


def init_app(app: Flask, host: PluginHost) -> None:
    """Build every registry from the plugins (once; read-only afterwards)."""
    app.extensions["lms_registries"] = {
        "lesson_types": Registry("lesson type", "register_lesson_types").build(host),
        "completion_rules": Registry("completion rule", "register_completion_rules").build(host),
        "question_types": Registry("question type", "register_question_types").build(host),
        "certificate_templates": Registry("certificate template",
                                          "register_certificate_templates").build(host),
        "training_exporters": Registry("training-history exporter",
                                       "training_history_exporters").build(host),
    }


def lesson_types() -> Registry:
    return current_app.extensions["lms_registries"]["lesson_types"]


def lesson_type_for(key: str):
    """The lesson type to show a stored lesson with; a stand-in when its plugin is gone,
    so disabling or uninstalling a plugin never breaks the pages of courses that used it."""
    from lms.lessons import UnavailableLesson

    registry = lesson_types()
    return registry.get(key) if key in registry else UnavailableLesson(key)


def completion_rules() -> Registry:
    return current_app.extensions["lms_registries"]["completion_rules"]


def question_types() -> Registry:
    return current_app.extensions["lms_registries"]["question_types"]


def certificate_templates() -> Registry:
    return current_app.extensions["lms_registries"]["certificate_templates"]


def training_exporters() -> Registry:
    return current_app.extensions["lms_registries"]["training_exporters"]
