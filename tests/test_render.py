"""derm-onto render: graphviz SVG/PNG and the self-contained HTML tree (issue 13.8)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from derm_onto import hierarchy
from derm_onto.cli import main
from derm_onto.errors import RenderError
from derm_onto.jsonio import load
from derm_onto.model import Kind, Ontology
from derm_onto.render import render, render_graphviz, subtree
from derm_onto.resources import bundled_ontology_path
from tests import ids

SVG = "{http://www.w3.org/2000/svg}"


def expected_nodes(
    onto: Ontology, start: str | None, depth: int | None, kind: Kind = "conditions"
) -> set[str]:
    """Reference: every live entry within depth-1 edges below the start (or roots)."""
    graph = hierarchy.build_graph(onto, kind)
    graph.remove_nodes_from([c.id for c in onto.entries(kind) if c.obsolete])
    starts = [start] if start else hierarchy.roots(graph)
    found: set[str] = set()
    for s in starts:
        cutoff = None if depth is None else depth - 1
        found |= set(nx.single_source_shortest_path_length(graph, s, cutoff=cutoff))
    return found


def svg_nodes(data: bytes) -> list[str]:
    root = ET.fromstring(data)
    return [g.get("id", "") for g in root.iter(f"{SVG}g") if g.get("class") == "node"]


class _Items(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.hidden: set[str] = set()
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "li" and values.get("data-id"):
            self.ids.append(values["data-id"] or "")
            if "hidden" in values:
                self.hidden.add(values["data-id"] or "")
        for key in ("src", "href"):
            if values.get(key):
                self.external.append(f"{tag} {key}={values[key]}")


def html_items(data: bytes | str) -> _Items:
    parser = _Items()
    parser.feed(data.decode("utf-8") if isinstance(data, bytes) else data)
    return parser


@pytest.fixture(scope="module")
def bundled() -> Ontology:
    return load(bundled_ontology_path())


@pytest.mark.parametrize(
    ("start", "depth"), [(None, None), (ids.NEOPLASM, 3), (ids.PSORIASIS, None), (None, 1)]
)
def test_svg_has_every_node_of_the_subtree_once(
    tiny: Ontology, start: str | None, depth: int | None
) -> None:
    data = render(tiny, [start] if start else None, depth, "svg")
    nodes = svg_nodes(data)
    assert sorted(nodes) == sorted(expected_nodes(tiny, start, depth))  # DAG nodes drawn once
    text = data.decode("utf-8")
    assert all(tiny.term(n).label in text for n in nodes)


def test_svg_of_the_bundled_ontology(bundled: Ontology) -> None:
    malignant = next(c.id for c in bundled.conditions if c.label == "malignant")
    data = render(bundled, [malignant], 3, "svg")
    assert set(svg_nodes(data)) == expected_nodes(bundled, malignant, 3)
    assert render(bundled, [malignant], 3, "svg") == data  # deterministic


def test_concept_hierarchy(bundled: Ontology) -> None:
    vascular = next(c.id for c in bundled.concepts if c.label == "vascular structures")
    data = render(bundled, [vascular], None, "svg", kind="concepts")
    nodes = set(svg_nodes(data))
    assert nodes == expected_nodes(bundled, vascular, None, "concepts")
    assert len(nodes) > 1


def test_png_is_a_picture(tiny: Ontology) -> None:
    from PIL import Image

    image = Image.open(io.BytesIO(render(tiny, None, None, "png"))).convert("L")
    assert image.width > 200 and image.height > 100
    histogram = image.histogram()
    assert sum(histogram[:200]) > 0.01 * image.width * image.height  # ink, not a blank page


def test_missing_dot_is_a_one_line_error(tiny: Ontology, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    with pytest.raises(RenderError, match="apt-get install graphviz"):
        render_graphviz(tiny, subtree(tiny, None), "svg")


def test_html_has_every_node_and_no_network(bundled: Ontology) -> None:
    page = render(bundled, None, None, "html")
    items = html_items(page)
    assert set(items.ids) == expected_nodes(bundled, None, None)
    assert items.external == []  # no scripts, styles or images from elsewhere
    # a node with two parents is listed under each of them
    graph = hierarchy.build_graph(bundled)
    shared = [n for n in graph if graph.in_degree(n) > 1 and not bundled.term(n).obsolete]
    assert shared and all(items.ids.count(n) >= 2 for n in shared)


def test_html_depth_limit(tiny: Ontology) -> None:
    items = html_items(render(tiny, [ids.NEOPLASM], 2, "html"))
    assert set(items.ids) == {ids.NEOPLASM, ids.BENIGN, ids.MALIGNANT}


def test_obsolete_terms_are_not_drawn(tiny: Ontology) -> None:
    import dataclasses

    retired = dataclasses.replace(tiny.condition(ids.BCC), obsolete=True)
    onto = dataclasses.replace(
        tiny, conditions=tuple(retired if c.id == ids.BCC else c for c in tiny.conditions)
    )
    assert ids.BCC not in svg_nodes(render(onto, None, None, "svg"))
    assert ids.BCC not in html_items(render(onto, None, None, "html")).ids


# -- in a real browser ----------------------------------------------------------------


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("chromium is not installed (Debian package chromium)")
        pytest.skip("chromium is not installed")
    return found


def run_chromium(url: str, *extra: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [
                chromium(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                f"--user-data-dir={profile}",
                "--window-size=900,700",
                *extra,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    return done.stdout


def test_html_in_headless_chromium(bundled: Ontology, tmp_path: Path) -> None:
    from PIL import Image

    page = tmp_path / "tree.html"
    page.write_bytes(render(bundled, None, None, "html"))
    shot = tmp_path / "shot.png"
    run_chromium(page.as_uri(), f"--screenshot={shot}")
    image = Image.open(shot).convert("L")
    histogram = image.histogram()
    dark = sum(histogram[:160])
    assert dark > 0.005 * image.width * image.height  # text was drawn, not a blank page
    assert len([v for v in histogram if v]) > 20  # anti-aliased text has many grey levels

    # the search runs in the browser: #q=melanoma hides every branch without a match
    dom = run_chromium(page.as_uri() + "#q=melanoma", "--dump-dom")
    items = html_items(dom)
    visible = {i for i in items.ids if i not in items.hidden}
    matching = {t.id for t in bundled.conditions if any("melanoma" in n.lower() for n in t.names)}
    graph = hierarchy.build_graph(bundled)
    with_ancestors = matching | {a for m in matching for a in hierarchy.ancestors(graph, m)}
    assert (
        matching
        <= visible
        <= with_ancestors | {d for m in matching for d in hierarchy.descendants(graph, m)}
    )
    assert len(visible) < len(set(items.ids)) / 4


# -- the command line -----------------------------------------------------------------


def test_cli_render_svg_and_html(tiny_path: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    svg = tmp_path / "tree.svg"
    result = runner.invoke(
        main, ["render", "neoplasm", "--depth", "2", "--ontology", str(tiny_path), "-o", str(svg)]
    )
    assert result.exit_code == 0, result.output
    assert set(svg_nodes(svg.read_bytes())) == {ids.NEOPLASM, ids.BENIGN, ids.MALIGNANT}
    assert "3 terms" in result.stderr
    page = tmp_path / "tree.htm"
    result = runner.invoke(main, ["render", "--ontology", str(tiny_path), "-o", str(page)])
    assert result.exit_code == 0, result.output
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_cli_render_errors(tiny_path: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    unknown = runner.invoke(
        main,
        ["render", "no such thing", "--ontology", str(tiny_path), "-o", str(tmp_path / "x.svg")],
    )
    assert unknown.exit_code == 1
    assert unknown.stderr.startswith("derm-onto: error:") and "no such thing" in unknown.stderr
    bad = runner.invoke(
        main, ["render", "--ontology", str(tiny_path), "-o", str(tmp_path / "x.gif")]
    )
    assert bad.exit_code == 2
    assert ".svg, .png or .html" in bad.stderr
