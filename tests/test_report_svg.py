"""Inline SVG charts (lms/reports/svg.py): well-formed, accessible, labelled, phone-sized."""
from __future__ import annotations

import re
from xml.etree import ElementTree

from markupsafe import Markup

from lms.reports import svg

NS = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ElementTree.Element:
    return ElementTree.fromstring(str(markup))


def texts(root) -> list[str]:
    return [t.text for t in root.iter(f"{NS}text")]


def bars(root) -> list[ElementTree.Element]:
    return [r for r in root.iter(f"{NS}rect") if r.get("fill") == svg.BAR]


def test_column_chart_is_an_accessible_image_with_text_labels():
    chart = svg.column_chart([svg.Bar("0 JP", 3), svg.Bar("1–9 JP", 6), svg.Bar("40+ JP", 0)],
                             chart_id="dist", title="ASN by JP", desc="0 JP: 3, 1–9 JP: 6, 40+ JP: 0")
    assert isinstance(chart, Markup)
    root = parse(chart)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "dist-title dist-desc"
    assert root.find(f"{NS}title").get("id") == "dist-title" and root.find(f"{NS}title").text == "ASN by JP"
    assert root.find(f"{NS}desc").text == "0 JP: 3, 1–9 JP: 6, 40+ JP: 0"
    assert texts(root) == ["3", "0 JP", "6", "1–9 JP", "0", "40+ JP"]
    assert [g.find(f"{NS}title").text for g in root.iter(f"{NS}g")] == ["0 JP: 3", "1–9 JP: 6", "40+ JP: 0"]


def test_column_heights_are_proportional_and_share_a_baseline():
    root = parse(svg.column_chart([svg.Bar("a", 2), svg.Bar("b", 4), svg.Bar("c", 0)],
                                  chart_id="c", title="t", desc="d", height=200))
    heights = [float(r.get("height")) for r in bars(root)]
    assert heights[1] == 2 * heights[0] and heights[2] == 0
    bottoms = {round(float(r.get("y")) + float(r.get("height")), 1) for r in bars(root)}
    assert len(bottoms) == 1


def test_all_zero_values_draw_without_dividing_by_zero():
    root = parse(svg.column_chart([svg.Bar("a", 0), svg.Bar("b", 0)], chart_id="z", title="t", desc="d"))
    assert [float(r.get("height")) for r in bars(root)] == [0, 0]
    assert parse(svg.column_chart([], chart_id="e", title="t", desc="d")).get("role") == "img"


def test_bar_chart_puts_each_label_above_its_bar_with_the_value():
    chart = svg.bar_chart([svg.Bar("Dinas Pendidikan", 33.3, "33.3%"), svg.Bar("Dinas Kesehatan", 100, "100%")],
                          chart_id="units", title="Reached", desc="Dinas Pendidikan: 33.3%")
    root = parse(chart)
    assert texts(root) == ["Dinas Pendidikan", "33.3%", "Dinas Kesehatan", "100%"]
    widths = [float(r.get("width")) for r in bars(root)]
    track = svg.WIDTH - 48
    assert widths == [round(track * 0.333, 1), track]


def test_bar_values_are_clamped_to_the_track():
    root = parse(svg.bar_chart([svg.Bar("over", 150), svg.Bar("under", -5)], chart_id="k", title="t", desc="d"))
    assert [float(r.get("width")) for r in bars(root)] == [svg.WIDTH - 48, 0]


def test_text_is_escaped():
    chart = svg.bar_chart([svg.Bar('<script>alert("x")</script> & Co', 10)], chart_id='a"b', title="<t>",
                          desc="d & e")
    assert "<script>" not in chart
    root = parse(chart)  # still well-formed XML
    assert root.find(f"{NS}title").text == "<t>"
    assert texts(root)[0].startswith('<script>alert("x")')


def test_long_labels_are_shortened_but_kept_whole_in_the_tooltip():
    name = "Bidang Perencanaan, Pengendalian dan Evaluasi Pembangunan Daerah Kota Semarang"
    root = parse(svg.bar_chart([svg.Bar(name, 50)], chart_id="l", title="t", desc="d"))
    shown = texts(root)[0]
    assert len(shown) <= svg.MAX_LABEL and shown.endswith("…")
    assert root.find(f"{NS}g/{NS}title").text.startswith(name)


def test_charts_fit_a_phone_column_and_scale_with_it():
    """The viewBox is about a phone's content width, so 13-unit text stays near 12 CSS px on a
    390px screen; width="100%" lets CSS scale it, and the height follows the number of bars."""
    one = parse(svg.bar_chart([svg.Bar("a", 1)], chart_id="a", title="t", desc="d"))
    five = parse(svg.bar_chart([svg.Bar(str(n), n) for n in range(5)], chart_id="b", title="t", desc="d"))
    width, height = (float(v) for v in one.get("viewBox").split()[2:])
    assert width == svg.WIDTH <= 390 and one.get("width") == "100%"
    assert float(five.get("viewBox").split()[3]) > 4 * height
    for root in (one, five):
        for text in root.iter(f"{NS}text"):
            assert float(text.get("x")) <= svg.WIDTH - 30  # room for "100%" inside the viewBox
    assert int(one.get("font-size")) >= 12


def test_numbers_print_without_noise():
    assert svg.Bar("a", 3).shown == "3" and svg.Bar("a", 2.25).shown == "2.2"
    assert not re.search(r"\d\.\d{2,}", str(svg.column_chart([svg.Bar("a", 1), svg.Bar("b", 3)],
                                                               chart_id="n", title="t", desc="d", height=199)))
