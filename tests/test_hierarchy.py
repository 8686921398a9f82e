from __future__ import annotations

import json

import pytest

from derm_onto import hierarchy
from derm_onto.cli import main
from derm_onto.errors import UnknownTermError
from derm_onto.jsonio import load
from derm_onto.validate import has_failures, validate_file

from . import ids


@pytest.fixture(scope="module")
def graph(tiny):
    return hierarchy.build_graph(tiny)


def test_parents_children_roots_leaves(graph) -> None:
    assert hierarchy.parents(graph, ids.PSORIATIC_NAIL_DYSTROPHY) == [
        ids.PSORIASIS,
        ids.NAIL_DISEASE,
    ]
    assert hierarchy.children(graph, ids.PSORIASIS) == [
        ids.GUTTATE_PSORIASIS,
        ids.PSORIATIC_NAIL_DYSTROPHY,
    ]
    assert hierarchy.roots(graph) == [ids.SKIN_DISEASE, ids.NEOPLASM, ids.NAIL_DISEASE]
    assert hierarchy.leaves(graph) == [
        ids.GUTTATE_PSORIASIS,
        ids.NEVUS,
        ids.MELANOMA,
        ids.BCC,
        ids.PSORIATIC_NAIL_DYSTROPHY,
    ]


def test_ancestors_and_descendants_reflexive_or_not(graph) -> None:
    assert hierarchy.ancestors(graph, ids.MELANOMA) == [
        ids.NEOPLASM,
        ids.MALIGNANT,
        ids.MELANOCYTIC_MALIGNANT,
    ]
    assert ids.MELANOMA in hierarchy.ancestors(graph, ids.MELANOMA, reflexive=True)
    assert hierarchy.descendants(graph, ids.MALIGNANT) == [
        ids.MELANOCYTIC_MALIGNANT,
        ids.MELANOMA,
        ids.BCC,
    ]
    assert hierarchy.descendants(graph, ids.BCC) == []
    with pytest.raises(UnknownTermError):
        hierarchy.ancestors(graph, "TINY:404")


def test_depth_uses_the_shortest_path(graph) -> None:
    depths = hierarchy.depth(graph)
    assert depths[ids.SKIN_DISEASE] == 1 and depths[ids.GUTTATE_PSORIASIS] == 4
    assert depths[ids.PSORIATIC_NAIL_DYSTROPHY] == 2  # under nail disease (depth 1) too


def test_primary_path_and_all_paths(graph) -> None:
    paths = hierarchy.primary_paths(graph)
    assert paths[ids.PSORIATIC_NAIL_DYSTROPHY] == (ids.NAIL_DISEASE, ids.PSORIATIC_NAIL_DYSTROPHY)
    assert hierarchy.paths_to_top(graph, ids.PSORIATIC_NAIL_DYSTROPHY) == [
        (ids.SKIN_DISEASE, ids.INFLAMMATORY, ids.PSORIASIS, ids.PSORIATIC_NAIL_DYSTROPHY),
        (ids.NAIL_DISEASE, ids.PSORIATIC_NAIL_DYSTROPHY),
    ]


def test_level_projection_carries_down_and_caps(graph) -> None:
    paths = hierarchy.primary_paths(graph)
    guttate = paths[ids.GUTTATE_PSORIASIS]  # depth 4
    assert [hierarchy.project(guttate, k, 4) for k in (1, 2, 3, 4)] == [
        ids.SKIN_DISEASE,
        ids.INFLAMMATORY,
        ids.PSORIASIS,
        ids.GUTTATE_PSORIASIS,
    ]
    bcc = paths[ids.BCC]  # depth 3: carried down to level 4
    assert hierarchy.project(bcc, 4, 4) == ids.BCC
    assert hierarchy.project(bcc, 3, 4) == ids.BCC
    assert hierarchy.project(guttate, 3, 3) == ids.GUTTATE_PSORIASIS  # deeper than last level
    with pytest.raises(ValueError):
        hierarchy.project(bcc, 5, 4)
    assert hierarchy.level_classes(graph, 1, 4) == hierarchy.roots(graph)


def test_lowest_common_ancestors_and_distance(graph) -> None:
    assert hierarchy.lowest_common_ancestors(graph, ids.MELANOMA, ids.BCC) == [ids.MALIGNANT]
    assert hierarchy.lowest_common_ancestors(graph, ids.MELANOMA, ids.NEVUS) == [ids.NEOPLASM]
    assert hierarchy.lowest_common_ancestors(graph, ids.PSORIASIS, ids.GUTTATE_PSORIASIS) == [
        ids.PSORIASIS
    ]
    assert hierarchy.lowest_common_ancestors(graph, ids.MELANOMA, ids.PSORIASIS) == []
    assert hierarchy.distance(graph, ids.MELANOMA, ids.BCC) == 3
    assert hierarchy.distance(graph, ids.MELANOMA, ids.NEVUS) == 6
    assert hierarchy.distance(graph, ids.MELANOMA, ids.MELANOMA) == 0
    # different top categories meet at the virtual root: 3 + 1 and 2 + 1 edges
    assert hierarchy.distance(graph, ids.MELANOMA, ids.PSORIASIS) == 4 + 3
    # several parents: the shorter way wins
    assert hierarchy.distance(graph, ids.PSORIATIC_NAIL_DYSTROPHY, ids.NAIL_DISEASE) == 1
    matrix = hierarchy.distance_matrix(graph, [ids.MELANOMA, ids.BCC, ids.NEVUS])
    assert matrix == [[0, 3, 6], [3, 0, 5], [6, 5, 0]]


def test_subset_is_a_valid_ontology(tiny, tmp_path) -> None:
    part = hierarchy.subset(tiny, [ids.MALIGNANT])
    assert {c.id for c in part.conditions} == {
        ids.MALIGNANT,
        ids.MELANOCYTIC_MALIGNANT,
        ids.MELANOMA,
        ids.BCC,
    }
    assert part.condition(ids.MALIGNANT).parents == ()
    assert part.disjoint == ()  # benign is gone, so benign-vs-malignant is too
    with_up = hierarchy.subset(tiny, [ids.MELANOMA], with_ancestors=True)
    assert ids.NEOPLASM in {c.id for c in with_up.conditions}
    both = hierarchy.subset(tiny, [ids.NEOPLASM])
    assert both.disjoint == tiny.disjoint


def test_subset_and_tree_commands(runner, tiny_path, tmp_path) -> None:
    out = tmp_path / "sub.json"
    result = runner.invoke(
        main, ["subset", "malignant", "--ontology", str(tiny_path), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert not has_failures(validate_file(out))
    assert len(load(out).conditions) == 4
    text = runner.invoke(main, ["tree", "neoplasm", "--ontology", str(tiny_path)]).output
    assert text.splitlines() == [
        "neoplasm  [TINY:0000005]",
        "├── benign  [TINY:0000006]",
        "│   └── benign melanocytic  [TINY:0000008]",
        "│       └── melanocytic nevus  [TINY:0000010]",
        "└── malignant  [TINY:0000007]",
        "    ├── basal cell carcinoma  [TINY:0000012]",
        "    └── malignant melanocytic  [TINY:0000009]",
        "        └── melanoma  [TINY:0000011]",
    ]
    shallow = runner.invoke(main, ["tree", "--depth", "1", "--ontology", str(tiny_path)])
    assert len(shallow.output.splitlines()) == 3
    bad = runner.invoke(main, ["tree", "nonexistent thing", "--ontology", str(tiny_path)])
    assert bad.exit_code == 1 and "unknown term" in bad.output


def test_subset_keeps_json_canonical(runner, tiny_path, tmp_path) -> None:
    out = tmp_path / "sub.json"
    runner.invoke(main, ["subset", "BCC", "--ontology", str(tiny_path), "-o", str(out)])
    assert json.loads(out.read_text())["conditions"][0]["label"] == "basal cell carcinoma"
    assert runner.invoke(main, ["lint", str(out)]).exit_code == 0
