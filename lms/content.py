"""Author content to safe HTML: Markdown rendered once, then sanitised (no script survives)."""
from __future__ import annotations

import threading

import markdown as md
import nh3

#: Tags authors may use; everything else (script, iframe, style, forms, on* attributes) is dropped.
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "figcaption",
    "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "mark", "ol", "p", "pre",
    "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
    "tr", "u", "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "ol": {"start"},
    "code": {"class"},
}
ALLOWED_SCHEMES = {"http", "https", "mailto"}
MARKDOWN_EXTENSIONS = ["extra", "sane_lists", "smarty"]
#: Table column alignment as the allowed `align` attribute (the default, style=, is stripped).
MARKDOWN_CONFIGS = {"extra": {"tables": {"use_align_attribute": True}}}


_local = threading.local()


def _renderer() -> md.Markdown:
    """This thread's Markdown converter: building one (extensions and all) costs more than
    most conversions, and a large import converts hundreds of texts."""
    renderer = getattr(_local, "renderer", None)
    if renderer is None:
        renderer = _local.renderer = md.Markdown(extensions=MARKDOWN_EXTENSIONS,
                                                 extension_configs=MARKDOWN_CONFIGS, output_format="html")
    return renderer


def render_markdown(source: str) -> str:
    """Render Markdown to sanitised HTML; raw HTML in the source goes through the same filter."""
    html = _renderer().reset().convert(source or "")
    return sanitize_html(html)


def sanitize_html(html: str) -> str:
    """Keep only the allowed tags, attributes and URL schemes; external links get rel=noopener."""
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes=ALLOWED_SCHEMES, link_rel="noopener noreferrer")
