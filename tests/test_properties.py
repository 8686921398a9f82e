"""Property tests (hypothesis) for the hierarchy and for the vectorised label and caption
paths, each compared with a simple per-row reference."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import networkx as nx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derm_onto import hierarchy
from derm_onto.captions import CaptionOptions, CaptionPlan, caption_table
from derm_onto.labels import LabelOptions, LabelPlan, label_table
from derm_onto.model import Condition, Ontology

from .conftest import TINY

PREFIXES = {"X": "https://example.org/x/X_"}


@st.composite
def dags(draw: st.DrawFn) -> Ontology:
    """Random condition DAGs: each node's parents are drawn among the earlier nodes."""
    n = draw(st.integers(min_value=1, max_value=14))
    conditions = []
    for i in range(n):
        earlier = [f"X:{j:07d}" for j in range(i)]
        parents = draw(st.lists(st.sampled_from(earlier), max_size=2, unique=True)) if i else []
        conditions.append(Condition(id=f"X:{i:07d}", label=f"node {i}", parents=tuple(parents)))
    return Ontology(
        id="gen",
        title="Generated",
        base_iri="https://example.org/x/",
        prefixes=PREFIXES,
        levels=("category", "group", "subgroup", "condition"),
        conditions=tuple(conditions),
    )


@settings(max_examples=80, deadline=None)
@given(dags(), st.data())
def test_distance_is_symmetric_and_zero_only_on_the_diagonal(onto, data) -> None:
    graph = hierarchy.build_graph(onto)
    nodes = sorted(graph)
    a = data.draw(st.sampled_from(nodes))
    b = data.draw(st.sampled_from(nodes))
    assert hierarchy.distance(graph, a, b) == hierarchy.distance(graph, b, a)
    assert (hierarchy.distance(graph, a, b) == 0) == (a == b)
    matrix = hierarchy.distance_matrix(graph, nodes)
    assert matrix[nodes.index(a)][nodes.index(b)] == hierarchy.distance(graph, a, b)
    # a path up to a common ancestor (or the virtual root above the top) and down again
    # is a path of the undirected graph with that root: never shorter than its shortest
    undirected = graph.to_undirected()
    undirected.add_edges_from(("<root>", r) for r in hierarchy.roots(graph))
    assert hierarchy.distance(graph, a, b) >= nx.shortest_path_length(undirected, a, b)


@settings(max_examples=80, deadline=None)
@given(dags(), st.data())
def test_lowest_common_ancestors_are_common_and_lowest(onto, data) -> None:
    graph = hierarchy.build_graph(onto)
    nodes = sorted(graph)
    a = data.draw(st.sampled_from(nodes))
    b = data.draw(st.sampled_from(nodes))
    lcas = hierarchy.lowest_common_ancestors(graph, a, b)
    up_a = set(hierarchy.ancestors(graph, a, reflexive=True))
    up_b = set(hierarchy.ancestors(graph, b, reflexive=True))
    assert set(lcas) <= up_a & up_b
    for x in lcas:
        assert not any(x in hierarchy.ancestors(graph, y) for y in lcas if y != x)
    assert bool(lcas) == bool(up_a & up_b)
    if a in up_b:  # a is an ancestor-or-self of b: a is their only LCA
        assert lcas == [a]


@settings(max_examples=80, deadline=None)
@given(dags())
def test_projection_walks_down_the_primary_path(onto) -> None:
    graph = hierarchy.build_graph(onto)
    paths = hierarchy.primary_paths(graph)
    for node, path in paths.items():
        assert path[-1] == node and not list(graph.predecessors(path[0]))
        projected = [hierarchy.project(path, k, 4) for k in range(1, 5)]
        assert projected[-1] == node  # the last level is the node itself (or carried down)
        for upper, lower in itertools.pairwise(projected):
            # each level's class is an ancestor-or-self of the next level's
            assert upper in hierarchy.ancestors(graph, lower, reflexive=True)
        for k in range(1, 5):
            assert projected[k - 1] in hierarchy.level_classes(graph, k, 4)


# -- vectorised tables against a per-row reference ------------------------------------------
_TINY_NAMES = [
    "melanoma",
    "Melanoma ",
    "psoriasis",
    "guttate psoriasis",
    "BCC",
    "nevus",
    "melanoma, psoriasis",
    "no such disease",
    "",
    "no definitive diagnosis",
    "psoriatic nail dystrophy",
]
cells = st.lists(st.sampled_from(_TINY_NAMES), min_size=1, max_size=40)


def _write(path: Path, column: str, values: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["row", column])
        writer.writerows([[str(i), v] for i, v in enumerate(values)])
    return path


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cells, st.sampled_from(["keep", "drop"]))
def test_labels_equal_a_per_row_reference(tiny, tmp_path_factory, values, unknown) -> None:
    folder = tmp_path_factory.mktemp("labels")
    source = _write(folder / "in.csv", "dx", values)
    out = folder / "out.csv"
    label_table(tiny, source, out, LabelOptions(column="dx", levels=(1, 2, 4), unknown=unknown))
    rows = _read(out)
    graph = hierarchy.build_graph(tiny)
    paths = hierarchy.primary_paths(graph)
    plan = LabelPlan(tiny, levels=(1, 2, 4))  # fresh: no shared cache with the run above
    expected = []
    for i, cell in enumerate(values):
        matches = plan.matcher.match_cell(cell)
        found = list(dict.fromkeys(m.id for m in matches if m.matched))
        unmatched = [m for m in matches if not m.matched and m.method not in ("sentinel", "empty")]
        if unknown == "drop" and unmatched:
            continue
        row = {"row": str(i), "dx": cell, "onto_ids": "|".join(found)}
        for level in (1, 2, 4):
            classes = list(dict.fromkeys(hierarchy.project(paths[t], level, 4) for t in found))
            row[f"level_{level}"] = "|".join(graph.nodes[c]["label"] for c in classes)
            index = plan.classes[level].index(classes[0]) if len(classes) == 1 else -1
            row[f"level_{level}_idx"] = str(index)
        expected.append(row)
    assert [{k: r[k] for k in e} for r, e in zip(rows, expected, strict=True)] == expected


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cells, st.integers(min_value=0, max_value=3))
def test_captions_equal_a_per_row_reference(tiny, tmp_path_factory, values, seed) -> None:
    folder = tmp_path_factory.mktemp("captions")
    source = _write(folder / "in.csv", "disease_label", values)
    out = folder / "out.csv"
    caption_table(tiny, source, out, CaptionOptions(style="derm1m", seed=seed))
    plan = CaptionPlan(tiny)
    rows = _read(out)
    assert len(rows) == len(values)
    for row, cell in zip(rows, values, strict=True):
        assert row["ontology_caption"] == plan.ontology_variants(cell)[0]
        assert row["visual_concept_caption"] == ""
        assert row["knowledge_masks"] == f"[0, {int(bool(row['ontology_caption']))}, 0]"


def test_tiny_fixture_exists() -> None:
    assert TINY.is_file()
