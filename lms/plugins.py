"""The plugin host: one pluggy PluginManager per app, loading, API checks and isolation."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from importlib import import_module, metadata

import pluggy
from flask import Flask
from sqlalchemy.exc import DBAPIError

from lms import hookspecs
from lms.errors import PluginRefused, StartupError

log = logging.getLogger(__name__)

#: Entry point group third-party plugins register under.
ENTRY_POINT_GROUP = "lms.plugins"
#: Core features shipped as internal plugins on the same manager.
BUILTIN_PLUGINS = ("lms.builtin.nav", "lms.builtin.lesson_types", "lms.builtin.question_types",
                   "lms.builtin.completion", "lms.builtin.certificates",
                   "lms.builtin.notifications", "lms.builtin.scorm", "lms.builtin.xapi",
                   "lms.builtin.certificate_files", "lms.builtin.evaluation")


@dataclass
class PluginInfo:
    """One row of `flask lms plugins`."""

    name: str
    version: str = ""
    api: str = ""
    status: str = "enabled"  # enabled | disabled | refused | builtin
    reason: str = ""
    hooks: list[str] = field(default_factory=list)


class PluginHost:
    """Load plugins into a per-app PluginManager and dispatch hooks safely."""

    def __init__(self, app: Flask):
        self.app = app
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}
        app.extensions["lms"] = self
        if app.config.get("TRACE_PLUGINS"):
            self.pm.trace.root.setwriter(log.debug)
            self.pm.enable_tracing()
        self._load_builtins()
        self._load_entry_points()
        self._load_objects(app.config.get("PLUGIN_OBJECTS") or {})
        self.pm.check_pending()
        self._apply_config_defaults()

    # ------------------------------------------------------------------ loading

    def _load_builtins(self) -> None:
        for modname in BUILTIN_PLUGINS:
            self.pm.register(import_module(modname), name=modname)
            self.infos[modname] = PluginInfo(modname, api=hookspecs.LMS_PLUGIN_API, status="builtin")

    def _load_entry_points(self) -> None:
        """Load allowed entry points; record refusals, fatal when STRICT_PLUGINS."""
        wanted = self.app.config["PLUGINS"]
        disabled = set(self.app.config["DISABLED_PLUGINS"])
        for ep in _entry_points():
            info = PluginInfo(ep.name, version=_dist_version(ep))
            self.infos[ep.name] = info
            if ep.name in disabled or (wanted != "*" and ep.name not in wanted):
                info.status = "disabled"
                self.pm.set_blocked(ep.name)
                continue
            self._guarded(info, lambda: ep.load())
        if wanted != "*":
            for name in sorted(set(wanted) - set(self.infos)):
                self._refuse(PluginInfo(name), "not installed (no entry point in group lms.plugins)")

    def _load_objects(self, objects: dict) -> None:
        """Register objects given in PLUGIN_OBJECTS; they win over a disabled entry point of
        the same name (a plugin's tests pass its module while the plugin is installed)."""
        for name, obj in objects.items():
            if self.pm.is_blocked(name):
                self.pm.unblock(name)
            self.infos[name] = info = PluginInfo(name, version=getattr(obj, "__version__", ""))
            self._guarded(info, lambda obj=obj: obj)

    def _guarded(self, info: PluginInfo, load) -> None:
        """Load, check and register one plugin; a failure refuses only that plugin."""
        try:
            plugin = load()
            info.api = check_api(info.name, plugin)
            self._register(info.name, plugin)
        except PluginRefused as exc:
            self._refuse(info, exc.reason)
        except Exception as exc:  # an import error in plugin code must not look like ours
            self._refuse(info, f"failed to load: {type(exc).__name__}: {exc}")
        else:
            info.hooks = self.hooks_of(info.name)

    def _register(self, name: str, plugin) -> None:
        """Register and refuse implementations of hooks that do not exist (misspellings)."""
        try:
            self.pm.register(plugin, name=name)
        except pluggy.PluginValidationError as exc:
            raise PluginRefused(name, str(exc)) from None
        unknown = [hc.name for hc in self.pm.get_hookcallers(plugin) or [] if not hc.has_spec()]
        if unknown:
            self.pm.unregister(plugin)
            raise PluginRefused(name, f"implements unknown hook(s) {', '.join(unknown)}")

    def _refuse(self, info: PluginInfo, reason: str) -> None:
        info.status, info.reason = "refused", reason
        message = f"plugin {info.name!r} refused: {reason}"
        if self.app.config["STRICT_PLUGINS"]:
            raise StartupError(message + " (STRICT_PLUGINS is on)")
        log.error(message)

    def _apply_config_defaults(self) -> None:
        for defaults in self.call("config_defaults"):
            for key, value in (defaults or {}).items():
                self.app.config.setdefault(key, value)

    # --------------------------------------------------------------- dispatching

    def startup(self) -> None:
        """Call the startup hook once the app is complete."""
        self.call("startup", app=self.app)

    def call(self, hook: str, **kwargs) -> list:
        """Call a hook whose failure must stop what is starting (lifecycle hooks, CLI commands,
        migration directories, periodic jobs): the results that are not None, in pluggy's order.

        A failing implementation raises StartupError naming the plugin and the hook, so the
        operator reads which plugin to fix or disable instead of a bare traceback.
        """
        results = []
        for impl in reversed(getattr(self.pm.hook, hook).get_hookimpls()):
            if impl.hookwrapper or impl.wrapper:
                continue
            try:
                result = impl.function(*[kwargs[arg] for arg in impl.argnames])
            except Exception as exc:
                raise StartupError(f"plugin {impl.plugin_name!r} failed in {hook}: "
                                   f"{type(exc).__name__}: {exc}") from exc
            if result is not None:
                results.append(result)
        return results

    def contributions(self, hook: str, **kwargs) -> list[tuple[str, object]]:
        """Call a startup contribution hook per plugin: [(plugin name, result)].

        A failing implementation refuses its plugin (fatal when STRICT_PLUGINS).
        """
        results = []
        for impl in reversed(getattr(self.pm.hook, hook).get_hookimpls()):
            try:
                results.append((impl.plugin_name, impl.function(*[kwargs[a] for a in impl.argnames])))
            except Exception as exc:
                self.refuse_registered(impl.plugin_name, f"failed in {hook}: {type(exc).__name__}: {exc}")
        return results

    def refuse_registered(self, name: str, reason: str) -> None:
        """Unregister a plugin whose contribution is unusable and record why."""
        if name in BUILTIN_PLUGINS:
            raise StartupError(f"builtin plugin {name} is broken: {reason}")
        self.pm.unregister(name=name)
        self._refuse(self.infos[name], reason)

    def denials(self, hook: str, **kwargs) -> list:
        """Call a decide hook; every non-None answer is a denial, and a raise denies (fail closed)."""
        from lms.plugin import Denial

        answers = []
        for impl in reversed(getattr(self.pm.hook, hook).get_hookimpls()):
            try:
                answer = impl.function(*[kwargs[a] for a in impl.argnames])
            except DBAPIError:  # the database failed, not the plugin: the request fails (503)
                raise
            except Exception:
                log.exception("plugin %s failed in %s (denying)", impl.plugin_name, hook)
                if self.app.config["PLUGIN_ERRORS"] == "raise":
                    raise
                answer = Denial(f"{hook} check failed")
            if answer is not None:
                answers.append(answer)
        return answers

    def notify(self, hook: str, **kwargs) -> None:
        """Call a react hook: every implementation runs, each failure is isolated and logged."""
        for _name, _result in self._each(hook, kwargs):
            pass

    def collect(self, hook: str, **kwargs) -> list:
        """Call a per-request hook and flatten the lists it returns, isolating failures."""
        items: list = []
        for _name, result in self._each(hook, kwargs):
            items.extend(result or [])
        return items

    def _each(self, hook: str, kwargs: dict):
        """Yield (plugin name, result) for each implementation, in pluggy's call order."""
        caller = getattr(self.pm.hook, hook)
        for impl in reversed(caller.get_hookimpls()):
            if impl.hookwrapper or impl.wrapper:
                continue
            try:
                result = impl.function(*[kwargs[arg] for arg in impl.argnames])
            except Exception:
                self.plugin_failed(impl.plugin_name, hook)
                continue
            yield impl.plugin_name, result

    def plugin_failed(self, plugin: str, hook: str) -> None:
        """Log a plugin's failure in a hook; re-raise when PLUGIN_ERRORS is "raise"."""
        log.exception("plugin %s failed in %s", plugin, hook)
        if self.app.config["PLUGIN_ERRORS"] == "raise":
            raise

    # ------------------------------------------------------------- introspection

    def hooks_of(self, name: str) -> list[str]:
        """Names of the hooks a registered plugin implements."""
        plugin = self.pm.get_plugin(name)
        callers = self.pm.get_hookcallers(plugin) if plugin is not None else None
        return sorted(hc.name for hc in callers or [])

    def get_plugins(self) -> list[PluginInfo]:
        """Every plugin seen: builtins, enabled, disabled and refused, with their hooks."""
        for name, info in self.infos.items():
            if info.status in ("enabled", "builtin"):
                info.hooks = self.hooks_of(name)
        return sorted(self.infos.values(), key=lambda i: (i.status == "builtin", i.name))

    def plugin_names(self) -> list[str]:
        """Names of the registered third-party plugins (enabled, not builtin)."""
        return [i.name for i in self.infos.values() if i.status == "enabled"]


def check_api(name: str, plugin) -> str:
    """Return the plugin's declared API version, refusing ones this host cannot serve."""
    declared = getattr(plugin, "lms_api", None)
    if not isinstance(declared, str):
        raise PluginRefused(name, 'does not declare lms_api (e.g. lms_api = "1.0")')
    host_major, host_minor = _version(hookspecs.LMS_PLUGIN_API)
    try:
        major, minor = _version(declared)
    except ValueError:
        raise PluginRefused(name, f"lms_api {declared!r} is not MAJOR.MINOR") from None
    if major != host_major or minor > host_minor:
        raise PluginRefused(
            name, f"needs plugin API {declared}; this LMS provides {hookspecs.LMS_PLUGIN_API}"
        )
    return declared


def _version(text: str) -> tuple[int, int]:
    major, _, minor = text.partition(".")
    return int(major), int(minor or 0)


def _entry_points() -> list[metadata.EntryPoint]:
    """Entry points in our group, one per name (first on sys.path wins, like imports)."""
    seen: dict[str, metadata.EntryPoint] = {}
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        seen.setdefault(ep.name, ep)
    return sorted(seen.values(), key=lambda ep: ep.name)


def _dist_version(ep: metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return dist.version if dist is not None else ""
