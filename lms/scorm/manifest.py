"""Read and check a SCORM 1.2 ``imsmanifest.xml``, collecting every problem with its line.

The XML is parsed with defusedxml's expat reader: no DTD, no entities, no external
references (billion laughs, XXE). Elements are matched by local name in the IMS content
packaging and ADL 1.2 namespaces; a SCORM 2004 manifest is recognised and refused with a
message saying so. Every launchable item (an item whose ``identifierref`` names a
resource with an ``href``) must point at a file that is in the package.
"""
from __future__ import annotations

import io
import posixpath
import re
from collections.abc import Container
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from urllib.parse import unquote, urlsplit
from xml.sax import SAXException
from xml.sax.handler import ContentHandler, feature_namespaces

from defusedxml import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser

from lms.packages.manifest import Problem

MANIFEST = "imsmanifest.xml"
#: A manifest is a short index; a larger one is refused before parsing.
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
MAX_ELEMENTS = 100_000
MAX_DEPTH = 64
MAX_ITEMS = 1000
#: IMS CP namespaces of SCORM 1.2 manifests (and none, which old tools write).
CP_12 = {"http://www.imsproject.org/xsd/imscp_rootv1p1p2", "http://www.imsglobal.org/xsd/imscp_rootv1p1p2", ""}
ADLCP_12 = "http://www.adlnet.org/xsd/adlcp_rootv1p2"
#: Namespaces only SCORM 2004 (CAM 1.3) packages use.
SCORM_2004 = ("http://www.imsglobal.org/xsd/imscp_v1p1", "http://www.adlnet.org/xsd/adlcp_v1p3",
              "http://www.adlnet.org/xsd/adlseq_v1p3", "http://www.adlnet.org/xsd/adlnav_v1p3",
              "http://www.imsglobal.org/xsd/imsss")
TIME_LIMIT_ACTIONS = ("exit,message", "exit,no message", "continue,message", "continue,no message")
TIMESPAN = re.compile(r"^\d{2,4}:\d{2}:\d{2}(\.\d{1,2})?$")
MAX_DATA_FROM_LMS = 4096


@dataclass
class Node:
    """An element: namespace, local name, attributes by local name, children, text, line."""

    ns: str
    name: str
    attrs: dict[str, str]
    line: int
    children: list[Node] = field(default_factory=list)
    text: str = ""

    def all(self, name: str) -> list[Node]:
        return [c for c in self.children if c.name.lower() == name.lower()]

    def first(self, name: str) -> Node | None:
        found = self.all(name)
        return found[0] if found else None

    def attr(self, name: str) -> str | None:
        for key, value in self.attrs.items():
            if key.lower() == name.lower():
                return value
        return None

    def child_text(self, name: str) -> str | None:
        node = self.first(name)
        return node.text.strip() if node is not None else None

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class Sco:
    """One launchable item of the default organization: what a lesson runs."""

    identifier: str
    title: str
    href: str                    # the launch file, relative to the package root (no query)
    query: str                   # the href's query and the item's parameters, "" or "?..."
    scormtype: str               # "sco" or "asset"
    mastery_score: float | None = None
    data_from_lms: str = ""
    max_time_allowed: str = ""
    time_limit_action: str = ""

    def runtime(self) -> dict:
        """What the lesson stores for the runtime (lesson.data["sco"])."""
        return {"identifier": self.identifier, "title": self.title, "launch": self.href + self.query,
                "scormtype": self.scormtype, "mastery_score": self.mastery_score,
                "data_from_lms": self.data_from_lms, "max_time_allowed": self.max_time_allowed,
                "time_limit_action": self.time_limit_action}


@dataclass
class ScormPackage:
    identifier: str
    title: str                   # the default organization's title
    description: str
    language: str
    learning_minutes: int | None
    scos: list[Sco]              # launchable items of the default organization, in order

    def sco(self, identifier: str | None) -> Sco | None:
        if not identifier:
            return self.scos[0] if self.scos else None
        return next((s for s in self.scos if s.identifier == identifier), None)


# --------------------------------------------------------------------------- parsing


class _Builder(ContentHandler):
    def __init__(self):
        super().__init__()
        self.root: Node | None = None
        self.stack: list[Node] = []
        self.count = 0
        self.locator = None

    def setDocumentLocator(self, locator):
        self.locator = locator

    def line(self) -> int:
        try:
            return int(self.locator.getLineNumber()) if self.locator else 0
        except Exception:
            return 0

    def startElementNS(self, name, qname, attrs):
        self.count += 1
        if self.count > MAX_ELEMENTS:
            raise _TooLarge(f"more than {MAX_ELEMENTS:,} elements")
        if len(self.stack) >= MAX_DEPTH:
            raise _TooLarge(f"elements nested deeper than {MAX_DEPTH} levels")
        node = Node(name[0] or "", name[1], {}, self.line())
        for (ns, local), value in attrs.items():
            node.attrs[local if ns != "http://www.w3.org/XML/1998/namespace" else "xml:" + local] = value
            if ns:
                node.attrs.setdefault("{%s}%s" % (ns, local), value)
        if self.stack:
            self.stack[-1].children.append(node)
        else:
            self.root = node
        self.stack.append(node)

    def endElementNS(self, name, qname):
        self.stack.pop()

    def characters(self, content):
        if self.stack and len(self.stack[-1].text) < 65536:
            self.stack[-1].text += content


class _TooLarge(Exception):
    pass


def _namespaces(root: Node) -> set[str]:
    found = set()
    for node in root.walk():
        found.add(node.ns)
        found.update(k[1:].split("}", 1)[0] for k in node.attrs if k.startswith("{"))
    return found


def parse_xml(data: bytes, file: str) -> tuple[Node | None, list[Problem]]:
    """The element tree of a manifest, or None with the problem (DTD, entities, syntax, size)."""
    if len(data) > MAX_MANIFEST_BYTES:
        return None, [Problem(file, "", f"larger than {MAX_MANIFEST_BYTES // 1024 // 1024} MB")]
    builder = _Builder()
    parser = DefusedExpatParser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    parser.setFeature(feature_namespaces, True)
    parser.setContentHandler(builder)
    try:
        parser.parse(io.BytesIO(data))
    except DefusedXmlException as error:
        return None, [Problem(file, _at(builder.line()), "a DTD, entities or external references are not "
                                                         f"allowed in the manifest ({type(error).__name__})")]
    except _TooLarge as error:
        return None, [Problem(file, _at(builder.line()), str(error))]
    except SAXException as error:
        line = getattr(error, "getLineNumber", lambda: builder.line())()
        message = error.getMessage() if hasattr(error, "getMessage") else str(error)
        return None, [Problem(file, _at(line), f"not well-formed XML ({message})")]
    except (ValueError, UnicodeError, RecursionError) as error:
        return None, [Problem(file, "", f"could not be read as XML ({error})")]
    if builder.root is None:
        return None, [Problem(file, "", "empty document")]
    return builder.root, []


def _at(line) -> str:
    return f"line {line}" if line else ""


# --------------------------------------------------------------------------- checking


class _Checker:
    def __init__(self, file: str, present: Container[str], base: str):
        self.file, self.present, self.base = file, present, base
        self.problems: list[Problem] = []

    def add(self, node: Node | None, message: str) -> None:
        self.problems.append(Problem(self.file, _at(node.line) if node is not None else "", message))


def read_manifest(data: bytes, present: Container[str], *, base: str = "", file: str = MANIFEST
                  ) -> tuple[ScormPackage | None, list[Problem]]:
    """Check a SCORM 1.2 manifest; `present` holds the package's file paths, `base` the folder
    the manifest sits in ("assets/scorm/x/" or ""). Hrefs in the result are relative to
    that folder. Returns (package, []) or (None, every problem found)."""
    root, problems = parse_xml(data, file)
    if root is None:
        return None, problems
    check = _Checker(file, present, base)
    if root.name != "manifest":
        check.add(root, f"the root element must be <manifest>, not <{root.name}>")
        return None, check.problems
    namespaces = _namespaces(root)
    version = _schema_version(root)
    if any(ns in namespaces for ns in SCORM_2004) or (version and version.strip().lower() != "1.2"
                                                      and ("2004" in version or "1.3" in version)):
        check.add(root, "this is a SCORM 2004 package; only SCORM 1.2 is supported "
                        "(export the course as SCORM 1.2 from the authoring tool)")
        return None, check.problems
    if version is not None and version.strip() not in ("1.2", ""):
        check.add(root, f"schemaversion {version.strip()!r} is not SCORM 1.2")
        return None, check.problems
    if root.ns not in CP_12:
        check.add(root, f"unknown manifest namespace {root.ns!r} (SCORM 1.2 uses imscp_rootv1p1p2)")
        return None, check.problems
    resources = _resources(check, root)
    organization = _default_organization(check, root)
    if organization is None:
        return None, check.problems
    scos: list[Sco] = []
    seen: set[str] = set()
    for node in _items(organization):
        sco = _item(check, node, resources, seen)
        if sco is not None:
            scos.append(sco)
    if len(seen) > MAX_ITEMS:
        check.add(organization, f"more than {MAX_ITEMS} items")
    if not scos and not check.problems:
        check.add(organization, "the default organization has no launchable item "
                                "(an <item> whose identifierref names a resource with an href)")
    if not any(r.get("scormtype") for r in resources.values()) and not check.problems:
        check.add(root, "no resource has adlcp:scormtype (sco or asset): not a SCORM 1.2 package")
    if check.problems:
        return None, check.problems
    lom = _lom(root)
    package = ScormPackage(
        identifier=root.attr("identifier") or "", title=(organization.child_text("title") or "").strip(),
        description=lom.get("description", ""), language=lom.get("language", ""),
        learning_minutes=lom.get("minutes"), scos=scos)
    return package, []


def _schema_version(root: Node) -> str | None:
    metadata = root.first("metadata")
    return metadata.child_text("schemaversion") if metadata is not None else None


def _resources(check: _Checker, root: Node) -> dict[str, dict]:
    """identifier -> {href, scormtype, node}; hrefs made relative to the manifest's folder."""
    found: dict[str, dict] = {}
    holder = root.first("resources")
    if holder is None:
        check.add(root, "missing <resources>")
        return found
    holder_base = holder.attrs.get("xml:base", "")
    for node in holder.all("resource"):
        identifier = (node.attr("identifier") or "").strip()
        if not identifier:
            check.add(node, "<resource> without an identifier")
            continue
        if identifier in found:
            check.add(node, f"resource identifier {identifier!r} is used twice")
            continue
        scormtype = (node.attrs.get("{%s}scormtype" % ADLCP_12) or node.attr("scormtype") or "").strip().lower()
        if scormtype and scormtype not in ("sco", "asset"):
            check.add(node, f"resource {identifier!r}: adlcp:scormtype must be sco or asset, not {scormtype!r}")
        href = node.attr("href")
        found[identifier] = {"node": node, "scormtype": scormtype,
                             "href": None if href is None else holder_base + node.attrs.get("xml:base", "") + href}
    return found


def _default_organization(check: _Checker, root: Node) -> Node | None:
    holder = root.first("organizations")
    organizations = holder.all("organization") if holder is not None else []
    if not organizations:
        check.add(holder or root, "no <organization>: a SCORM 1.2 course needs one in <organizations>")
        return None
    default = (holder.attr("default") or "").strip()
    if not default:
        return organizations[0]
    chosen = next((o for o in organizations if (o.attr("identifier") or "").strip() == default), None)
    if chosen is None:
        check.add(holder, f"organizations default={default!r} names no <organization>")
    return chosen


def _items(node: Node):
    """Items in document order (depth first): the order learners take them."""
    for child in node.all("item"):
        yield child
        yield from _items(child)


def _item(check: _Checker, node: Node, resources: dict[str, dict], seen: set[str]) -> Sco | None:
    identifier = (node.attr("identifier") or "").strip()
    if not identifier:
        check.add(node, "<item> without an identifier")
    elif identifier in seen:
        check.add(node, f"item identifier {identifier!r} is used twice")
    seen.add(identifier)
    ref = (node.attr("identifierref") or "").strip()
    if not ref:
        return None  # an aggregation: its children are the items
    resource = resources.get(ref)
    if resource is None:
        check.add(node, f"item {identifier!r}: identifierref {ref!r} names no <resource>")
        return None
    if resource["href"] is None:
        check.add(resource["node"], f"resource {ref!r} (used by item {identifier!r}) has no href to launch")
        return None
    path, query = _href(check, resource["node"], resource["href"])
    if path is None:
        return None
    parameters = (node.attr("parameters") or "").strip()
    if parameters:
        parameters = parameters.lstrip("?&")
        query = f"{query}&{parameters}" if query else f"?{parameters}"
    mastery = _mastery(check, node)
    data_from_lms = node.child_text("datafromlms") or ""
    if len(data_from_lms) > MAX_DATA_FROM_LMS:
        check.add(node.first("datafromlms"), f"adlcp:datafromlms longer than {MAX_DATA_FROM_LMS} characters")
    max_time = node.child_text("maxtimeallowed") or ""
    if max_time and not TIMESPAN.match(max_time):
        check.add(node.first("maxtimeallowed"), f"adlcp:maxtimeallowed {max_time!r} is not a time span "
                                                "(HHHH:MM:SS.SS)")
    action = (node.child_text("timelimitaction") or "").lower()
    if action and action not in TIME_LIMIT_ACTIONS:
        check.add(node.first("timelimitaction"), f"adlcp:timelimitaction must be one of {', '.join(TIME_LIMIT_ACTIONS)}")
    title = " ".join((node.child_text("title") or identifier).split())[:200]
    return Sco(identifier, title, path, query, resource["scormtype"] or "sco", mastery, data_from_lms,
               max_time, action)


def _mastery(check: _Checker, node: Node) -> float | None:
    text = node.child_text("masteryscore")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not 0 <= value <= 100:
        check.add(node.first("masteryscore"), f"adlcp:masteryscore {text!r} must be a number from 0 to 100")
        return None
    return float(value)


def _href(check: _Checker, node: Node, href: str) -> tuple[str | None, str]:
    """A resource href as (path relative to the manifest's folder, "?query"); None if unsafe
    or missing from the package."""
    parts = urlsplit(href.strip())
    if parts.scheme or parts.netloc or href.strip().startswith(("/", "\\")):
        check.add(node, f"href {href!r} must be a file in the package, not an address or an absolute path")
        return None, ""
    path = unquote(parts.path)
    segments = path.split("/")
    if "\\" in path or ".." in segments or any(ord(c) < 32 for c in path) or not path:
        check.add(node, f"href {href!r} must be a plain relative path inside the package (no '..')")
        return None, ""
    path = posixpath.normpath(path)
    if check.base + path not in check.present:
        check.add(node, f"href {href!r} names {check.base + path}, which is not in the package")
        return None, ""
    return path, f"?{parts.query}" if parts.query else ""


def _lom(root: Node) -> dict:
    """Description, language and typical learning time from inline IMS metadata (LOM), if any."""
    found: dict = {}
    metadata = root.first("metadata")
    if metadata is None:
        return found
    for node in metadata.walk():
        name = node.name.lower()
        if name == "description" and "description" not in found:
            text = " ".join(" ".join(n.text.split()) for n in node.walk() if n.text.strip())
            if text:
                found["description"] = text[:2000]
        elif name == "language" and "language" not in found and node.text.strip():
            found["language"] = node.text.strip().lower()[:2]
        elif name == "typicallearningtime" and "minutes" not in found:
            text = " ".join(n.text.strip() for n in node.walk() if n.text.strip())
            minutes = _minutes(text)
            if minutes:
                found["minutes"] = minutes
    return found


def _minutes(text: str) -> int | None:
    """Minutes of "PT1H30M" (ISO 8601) or "01:30:00" (CMITimespan); None if unreadable."""
    iso = re.search(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?", text or "")
    if iso and any(iso.groups()):
        hours, minutes, seconds = (float(g or 0) for g in iso.groups())
        return int(hours * 60 + minutes + seconds / 60) or None
    span = re.search(r"(\d+):(\d{2}):(\d{2})", text or "")
    if span:
        return int(span.group(1)) * 60 + int(span.group(2)) or None
    return None
