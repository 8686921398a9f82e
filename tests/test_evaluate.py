"""Hierarchical evaluation (issue #14): figures, cross-checks with hiclass and scikit-learn,
vectorised paths against per-row references, score matrices, reports and the CLI."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derm_onto import hierarchy
from derm_onto.evaluation import evaluate, plots, report
from derm_onto.evaluation.scores import (
    argmax_columns,
    level_members,
    level_probabilities,
    softmax,
)
from derm_onto.evaluation.space import HierarchySpace
from derm_onto.jsonio import load
from derm_onto.labels import LabelPlan

from . import ids
from .conftest import TINY

ONTO = load(TINY)
SPACE = HierarchySpace(ONTO)
GRAPH = SPACE.graph
NODES = sorted(GRAPH)
# nodes whose reflexive ancestor sets all have 4 members (for the hF1 >= accuracy property)
DEPTH_FOUR = [n for n in NODES if len(hierarchy.ancestors(GRAPH, n, reflexive=True)) == 4]
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
pairs = st.lists(st.tuples(st.sampled_from(NODES), st.sampled_from(NODES)), min_size=1, max_size=30)


def run(truth, pred, **kw):
    return evaluate(ONTO, truth, pred, space=SPACE, **kw)


# --- hand-computed cases on the tiny ontology -------------------------------------------


def test_hand_computed_figures():
    result = run(
        ["melanoma", "psoriasis", "guttate psoriasis"],
        ["basal cell carcinoma", ids.PSORIASIS, "psoriasis vulgaris"],
    )
    f = result.figures
    assert result.n == 3
    assert f["accuracy"] == pytest.approx(1 / 3)
    # A(melanoma)=4, A(BCC)=3, shared 2 (malignant, neoplasm); psoriasis 3/3; guttate 4 vs 3
    assert f["hierarchical.precision"] == pytest.approx(8 / 9)
    assert f["hierarchical.recall"] == pytest.approx(8 / 11)
    hp, hr = 8 / 9, 8 / 11
    assert f["hierarchical.f1"] == pytest.approx(2 * hp * hr / (hp + hr))
    assert f["mistakes.n"] == 2
    # melanoma->BCC: 2 up + 1 down through 'malignant' (depth 2); guttate->psoriasis: 1
    assert f["mistakes.mean_distance"] == pytest.approx((3 + 1) / 2)
    assert f["mistakes.mean_lca_depth"] == pytest.approx((2 + 3) / 2)
    assert f["levels.1.accuracy"] == 1.0
    assert f["levels.2.accuracy"] == 1.0
    # level 4: psoriasis (depth 3) carries down and matches; the other two do not
    assert f["levels.4.accuracy"] == pytest.approx(1 / 3)
    assert result.distance_histogram == {1: 1, 3: 1}
    top = result.confusions[0]
    assert {top["truth"], top["pred"]} <= set(NODES) and top["count"] == 1


def test_mistake_across_top_level_meets_at_the_virtual_root():
    f = run(["psoriasis"], ["melanoma"]).figures
    assert f["mistakes.mean_distance"] == 3 + 4  # depth 3 and depth 4 up to the virtual root
    assert f["mistakes.mean_lca_depth"] == 0
    assert f["hierarchical.precision"] == 0.0


def test_level_projection_is_the_labels_rule():
    plan = LabelPlan(ONTO, levels=(1, 2, 3, 4))
    for node in NODES:
        resolved = plan.resolve(plan.label(node))
        for k, level in enumerate(plan.levels):
            code = SPACE.level_code[level][SPACE.index[node]]
            assert (
                SPACE.level_classes[level][code] == plan.classes[level][resolved.level_indices[k]]
            )


def test_micro_hf1_can_fall_below_accuracy_when_depths_differ():
    # a correct shallow row and a wrong deep one: micro hF1 weighs rows by ancestor count
    f = run(["nail disease", "melanoma"], ["nail disease", "guttate psoriasis"]).figures
    assert f["accuracy"] == 0.5
    assert f["hierarchical.f1"] < 0.5


# --- cross-checks with hiclass and scikit-learn ----------------------------------------


def _ancestor_rows(nodes):
    rows = [hierarchy.ancestors(GRAPH, n, reflexive=True) for n in nodes]
    width = max(len(r) for r in rows)
    return np.array([r + [""] * (width - len(r)) for r in rows], dtype=object)


@SETTINGS
@given(pairs)
def test_hierarchical_figures_equal_hiclass(rows):
    from hiclass import metrics as hm

    truth, pred = [t for t, _ in rows], [p for _, p in rows]
    f = run(truth, pred).figures
    yt, yp = _ancestor_rows(truth), _ancestor_rows(pred)
    width = max(yt.shape[1], yp.shape[1])
    yt = np.array([list(r) + [""] * (width - len(r)) for r in yt], dtype=object)
    yp = np.array([list(r) + [""] * (width - len(r)) for r in yp], dtype=object)
    assert f["hierarchical.precision"] == pytest.approx(hm.precision(yt, yp))
    assert f["hierarchical.recall"] == pytest.approx(hm.recall(yt, yp))
    expected_f1 = hm.f1(yt, yp, zero_division=0.0)
    assert f["hierarchical.f1"] == pytest.approx(expected_f1)


@SETTINGS
@given(pairs)
def test_flat_figures_equal_scikit_learn(rows):
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

    plan = LabelPlan(ONTO, levels=(1, 2, 3, 4))
    truth, pred = [t for t, _ in rows], [p for _, p in rows]
    f = run(truth, pred).figures
    assert f["accuracy"] == pytest.approx(accuracy_score(truth, pred))
    for k, level in enumerate(plan.levels):
        yt = [plan.resolve(plan.label(t)).level_labels[k] for t in truth]
        yp = [plan.resolve(plan.label(p)).level_labels[k] for p in pred]
        assert f[f"levels.{level}.accuracy"] == pytest.approx(accuracy_score(yt, yp))
        with warnings.catch_warnings():  # classes predicted but absent from the truth
            warnings.simplefilter("ignore")
            balanced = balanced_accuracy_score(yt, yp)
        assert f[f"levels.{level}.balanced_accuracy"] == pytest.approx(balanced)
        assert f[f"levels.{level}.macro_f1"] == pytest.approx(
            f1_score(yt, yp, average="macro", zero_division=0.0)
        )


# --- properties: vectorised paths against per-row references ---------------------------


@SETTINGS
@given(pairs)
def test_vectorised_figures_equal_a_per_row_reference(rows):
    depth = hierarchy.depth(GRAPH)

    def up(node):
        return hierarchy.ancestors(GRAPH, node, reflexive=True)

    f = run([t for t, _ in rows], [p for _, p in rows]).figures
    wrong = [(t, p) for t, p in rows if t != p]
    shared = sum(len(set(up(t)) & set(up(p))) for t, p in rows)
    assert f["hierarchical.precision"] == pytest.approx(
        shared / sum(len(hierarchy.ancestors(GRAPH, p, reflexive=True)) for _, p in rows)
    )
    assert f["mistakes.n"] == len(wrong)
    if wrong:
        assert f["mistakes.mean_distance"] == pytest.approx(
            np.mean([hierarchy.distance(GRAPH, t, p) for t, p in wrong])
        )
        lca_depths = [
            max((depth[a] for a in hierarchy.lowest_common_ancestors(GRAPH, t, p)), default=0)
            for t, p in wrong
        ]
        assert f["mistakes.mean_lca_depth"] == pytest.approx(np.mean(lca_depths))
    else:
        assert f["mistakes.mean_distance"] == 0.0


@SETTINGS
@given(st.lists(st.sampled_from(NODES), min_size=1, max_size=20))
def test_perfect_prediction_scores_one_and_makes_no_mistakes(nodes):
    f = run(nodes, nodes).figures
    rates = [v for k, v in f.items() if not k.startswith("mistakes") and k != "n"]
    assert all(v == 1.0 for v in rates)
    assert f["mistakes.n"] == 0 and f["mistakes.mean_distance"] == 0.0


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(DEPTH_FOUR), st.sampled_from(DEPTH_FOUR)), min_size=1))
def test_hf1_is_at_least_leaf_accuracy_when_leaves_share_a_depth(rows):
    f = run([t for t, _ in rows], [p for _, p in rows]).figures
    assert f["hierarchical.f1"] >= f["accuracy"] - 1e-12
    assert f["hierarchical.f1"] >= f["levels.4.accuracy"] - 1e-12


def test_distance_table_is_symmetric_and_equals_hierarchy():
    assert (SPACE.distance == SPACE.distance.T).all()
    assert (np.diag(SPACE.distance) == 0).all()
    for a in NODES:
        for b in NODES:
            assert SPACE.distance[SPACE.index[a], SPACE.index[b]] == hierarchy.distance(GRAPH, a, b)


def test_tables_equal_hierarchy_on_the_bundled_ontology():
    from derm_onto.resources import bundled_ontology_path

    space = HierarchySpace(load(bundled_ontology_path()))
    reference = np.array(hierarchy.distance_matrix(space.graph, space.nodes))
    assert (space.distance == reference).all()
    depth = hierarchy.depth(space.graph)
    rng = np.random.default_rng(0)
    for i, j in rng.integers(0, len(space.nodes), size=(200, 2)).tolist():
        a, b = space.nodes[i], space.nodes[j]
        lcas = hierarchy.lowest_common_ancestors(space.graph, a, b)
        assert space.lca_depth[i, j] == max((depth[c] for c in lcas), default=0)
        common = set(hierarchy.ancestors(space.graph, a, reflexive=True)) & set(
            hierarchy.ancestors(space.graph, b, reflexive=True)
        )
        assert space.shared[i, j] == len(common)


@SETTINGS
@given(st.integers(0, 2**32 - 1), st.integers(1, 6), st.integers(1, 9))
def test_argmax_columns_equals_numpy(seed, rows, columns):
    rng = np.random.default_rng(seed)
    matrix = rng.integers(0, 3, size=(rows, columns)).astype(float)  # many ties
    assert argmax_columns(matrix).tolist() == matrix.argmax(axis=0).tolist()


@SETTINGS
@given(
    st.lists(st.sampled_from(NODES), min_size=1, max_size=8, unique=True),
    st.integers(0, 2**32 - 1),
)
def test_summed_probabilities_are_consistent(classes, seed):
    codes = np.array([SPACE.index[c] for c in classes], dtype=np.int32)
    probs = softmax(np.random.default_rng(seed).normal(size=(6, len(classes))), 1.0)
    members = level_members(SPACE, codes)
    for level in range(1, SPACE.n_levels + 1):
        summed = level_probabilities(members[level], np.ascontiguousarray(probs.T))
        # each scored class counts once toward each level class it is under (per-row reference)
        under = [
            {hierarchy.project(p, level, SPACE.n_levels) for p in hierarchy.paths_to_top(GRAPH, c)}
            for c in classes
        ]
        expected = probs @ np.array([[len(u)] for u in under], dtype=float)
        assert summed.sum(axis=0) == pytest.approx(expected[:, 0])
        if all(len(hierarchy.paths_to_top(GRAPH, c)) == 1 for c in classes):  # a tree
            assert summed.sum(axis=0) == pytest.approx(np.ones(6))


# --- score matrices -------------------------------------------------------------------

CLASSES = ["melanoma", "melanocytic nevus", "BCC", "guttate psoriasis", "psoriasis"]
PROBS = np.array(
    [
        [0.5, 0.3, 0.1, 0.05, 0.05],  # melanoma: right
        [0.4, 0.35, 0.1, 0.1, 0.05],  # nevus: melanoma first, nevus second
        [0.1, 0.1, 0.1, 0.3, 0.4],  # guttate: psoriasis first, guttate second
        [0.3, 0.3, 0.1, 0.15, 0.15],  # BCC: a tie, the first column wins
        [0.0, 0.3, 0.3, 0.4, 0.0],  # nevus: wrong branch at level 2 when summed
    ]
)
TRUTH = ["melanoma", "melanocytic nevus", "guttate psoriasis", "basal cell carcinoma", "nevus"]


def test_top_k_and_hierarchical_distance_at_k_by_hand():
    result = evaluate(ONTO, TRUTH, scores_matrix=PROBS, classes=CLASSES, top_k=(1, 2), space=SPACE)
    f = result.figures
    assert f["top_k.1.accuracy"] == pytest.approx(1 / 5)
    assert f["top_k.2.accuracy"] == pytest.approx(4 / 5)
    # distances of the top-1 classes: 0, 6, 1, 3 (BCC-melanoma), 8 (nevus-guttate, via the root)
    assert f["top_k.1.mean_distance"] == pytest.approx(18 / 5)
    assert f["top_k.2.mean_distance"] == pytest.approx((3 + 3 + 0.5 + 4 + 4) / 5)
    assert f["accuracy"] == f["top_k.1.accuracy"]


def test_hierarchical_zero_shot_summed_and_top_down_by_hand():
    f = evaluate(ONTO, TRUTH, scores_matrix=PROBS, classes=CLASSES, space=SPACE).figures
    assert f["zero_shot.summed.1.accuracy"] == 1.0
    assert f["zero_shot.summed.2.accuracy"] == pytest.approx(3 / 5)  # rows 1 and 4 wrong
    assert f["zero_shot.top_down.2.accuracy"] == pytest.approx(4 / 5)  # row 4 stays in neoplasm
    assert f["zero_shot.summed.4.accuracy"] == pytest.approx(1 / 5)


def test_logits_need_softmax_for_zero_shot():
    logits = np.log(PROBS + 1e-3) * 3
    bare = evaluate(ONTO, TRUTH, scores_matrix=logits, classes=CLASSES, space=SPACE)
    assert not any(k.startswith("zero_shot") for k in bare.figures) and bare.notes
    soft = evaluate(
        ONTO, TRUTH, scores_matrix=logits, classes=CLASSES, softmax=True, temperature=3, space=SPACE
    )
    assert soft.figures["zero_shot.summed.1.accuracy"] == 1.0
    assert soft.figures["top_k.1.accuracy"] == bare.figures["top_k.1.accuracy"]


def test_dag_class_counts_once_toward_each_level_class_above_it():
    codes = np.array([SPACE.code("psoriatic nail dystrophy"), SPACE.code("melanoma")])
    probs_t = np.array([[0.6], [0.4]])  # classes x rows
    level_one = level_probabilities(level_members(SPACE, codes)[1], probs_t)[:, 0]
    by_id = dict(zip(SPACE.level_classes[1], level_one.tolist(), strict=True))
    assert by_id == pytest.approx({ids.SKIN_DISEASE: 0.6, ids.NAIL_DISEASE: 0.6, ids.NEOPLASM: 0.4})
    # at level 3 it counts under psoriasis and as itself (carried down), never twice
    level_three = level_probabilities(level_members(SPACE, codes)[3], probs_t)[:, 0]
    by_id = dict(zip(SPACE.level_classes[3], level_three.tolist(), strict=True))
    assert by_id[ids.PSORIASIS] == 0.6 and by_id[ids.PSORIATIC_NAIL_DYSTROPHY] == 0.6
    assert sum(level_three) == pytest.approx(1.6)


def test_non_finite_scores_are_an_error():
    from derm_onto.errors import DermOntoError

    bad = PROBS.copy()
    bad[3, 1] = np.nan
    with pytest.raises(DermOntoError, match="score row 3"):
        evaluate(ONTO, TRUTH, scores_matrix=bad, classes=CLASSES, space=SPACE)


@SETTINGS
@given(st.integers(0, 2**32 - 1), st.integers(1, 4))
def test_top_k_equals_a_per_row_reference(seed, k):
    rng = np.random.default_rng(seed)
    scores = rng.normal(size=(7, len(CLASSES)))
    truth = [NODES[i] for i in rng.integers(0, len(NODES), 7)]
    f = evaluate(
        ONTO, truth, scores_matrix=scores, classes=CLASSES, top_k=(k,), space=SPACE
    ).figures
    class_ids = [SPACE.nodes[SPACE.code(c)] for c in CLASSES]
    hits, dists = [], []
    for row, t in zip(scores, truth, strict=True):
        best = sorted(range(len(CLASSES)), key=lambda j: (-row[j], j))[:k]
        hits.append(any(class_ids[j] == t for j in best))
        dists.append(np.mean([hierarchy.distance(GRAPH, t, class_ids[j]) for j in best]))
    assert f[f"top_k.{k}.accuracy"] == pytest.approx(np.mean(hits))
    assert f[f"top_k.{k}.mean_distance"] == pytest.approx(np.mean(dists))


# --- bootstrap, unknowns, reports -------------------------------------------------------


def test_bootstrap_is_seeded_and_brackets_the_figure():
    truth = ["melanoma", "psoriasis", "guttate psoriasis", "nevus"] * 5
    pred = ["BCC", "psoriasis", "psoriasis", "nevus"] * 5
    a = run(truth, pred, bootstrap=200, seed=7)
    b = run(truth, pred, bootstrap=200, seed=7)
    c = run(truth, pred, bootstrap=200, seed=8)
    assert a.intervals == b.intervals and a.intervals != c.intervals
    for name, (lo, hi) in a.intervals.items():
        assert lo <= a.figures[name] + 1e-9 and a.figures[name] <= hi + 1e-9, name
    data = a.as_dict()
    assert "n_ci" not in data and "n_ci" not in data["mistakes"]  # counts get no interval
    assert data["levels"]["2"]["macro_f1_ci"] == list(a.intervals["levels.2.macro_f1"])


def test_unresolved_values_error_or_drop():
    from derm_onto.errors import DermOntoError

    truth = ["melanoma", "not a disease", "psoriasis", ""]
    pred = ["melanoma", "psoriasis", "psoriasis; melanoma", "psoriasis"]
    with pytest.raises(DermOntoError, match="not a disease"):
        run(truth, pred)
    result = run(truth, pred, unknown="drop")
    assert result.n == 1 and result.rows_read == 4
    assert result.unresolved["truth"].rows == 2
    assert result.unresolved["truth"].values == {"not a disease (unknown)": 1, " (empty)": 1}
    assert result.unresolved["pred"].values == {"psoriasis; melanoma (several labels)": 1}
    assert result.figures["accuracy"] == 1.0


def test_reports_render_every_format():
    result = run(["melanoma", "psoriasis"], ["BCC", "psoriasis"], bootstrap=20)
    assert json.loads(report.render(result, "json"))["levels"]["1"]["name"] == "category"
    md = report.render(result, "markdown")
    assert "| 2 | group |" in md and "malignant" in md
    for block in md.split("\n\n"):  # every table: one column count, a separator row
        lines = [x for x in block.splitlines() if x.startswith("|")]
        if lines:
            widths = {x.replace("\\|", "").count("|") for x in lines}
            assert len(widths) == 1 and set(lines[1]) <= set("|- "), block
    html = report.render(result, "html", {"x.png": b"\x89PNG"})
    assert html.startswith("<!DOCTYPE html>") and "data:image/png;base64," in html
    with pytest.raises(ValueError, match="renderer"):
        report.render(result, "pdf")


def test_plots_are_pngs_and_deterministic():
    result = run(["melanoma", "psoriasis", "nevus"], ["BCC", "psoriasis", "melanoma"])
    first = plots.make_plots(result, 2)
    assert set(first) == {"levels.png", "confusion_level_2.png", "severity.png"}
    assert plots.make_plots(result, 2) == first
    import io

    from PIL import Image

    for data in first.values():  # a real PNG reader accepts every figure
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            assert image.format == "PNG" and min(image.size) > 100


# --- the command line -------------------------------------------------------------------


@pytest.fixture
def table(tmp_path: Path) -> Path:
    path = tmp_path / "preds.csv"
    rows = ["truth,pred"] + [f'"{t}","{p}"' for t, p in zip(TRUTH, CLASSES, strict=True)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def cli(runner, *args):
    from derm_onto.cli import main

    return runner.invoke(main, [*args, "--ontology", str(TINY)])


def test_cli_json_report(runner, table):
    out = cli(runner, "evaluate", str(table), "--truth", "truth", "--pred", "pred")
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    expected = run(TRUTH, CLASSES).as_dict()
    assert data["accuracy"] == expected["accuracy"] and data["n"] == 5
    assert set(data["levels"]) == {"1", "2", "3", "4"}
    assert {"precision", "recall", "f1"} <= set(data["hierarchical"])


def test_cli_scores_plots_html_and_determinism(runner, table, tmp_path):
    np.save(tmp_path / "scores.npy", np.log(PROBS + 1e-6))
    (tmp_path / "classes.json").write_text(json.dumps({c: [f"a photo of {c}"] for c in CLASSES}))
    args = [
        "evaluate",
        str(table),
        "--truth",
        "truth",
        "--scores",
        str(tmp_path / "scores.npy"),
        "--classes",
        str(tmp_path / "classes.json"),
        "--softmax",
        "--top-k",
        "1,2",
        "--bootstrap",
        "30",
        "--seed",
        "3",
        "--format",
        "html",
        "--plots",
        str(tmp_path / "p"),
    ]
    first = cli(runner, *args, "-o", str(tmp_path / "a.html"))
    assert first.exit_code == 0, first.output
    second = cli(runner, *args, "-o", str(tmp_path / "b.html"))
    assert (tmp_path / "a.html").read_bytes() == (tmp_path / "b.html").read_bytes()
    assert "Hierarchical zero-shot (top-down)" in (tmp_path / "a.html").read_text()
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == [
        "confusion_level_2.png",
        "levels.png",
        "severity.png",
    ]
    assert second.exit_code == 0


def test_cli_parquet_scores_by_column_name(runner, table, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = {c: PROBS[:, i] for i, c in enumerate(CLASSES)}
    pq.write_table(pa.table(dict(reversed(columns.items()))), tmp_path / "s.parquet")
    (tmp_path / "classes.txt").write_text("\n".join(CLASSES) + "\n")
    out = cli(
        runner,
        "evaluate",
        str(table),
        "--truth",
        "truth",
        "--scores",
        str(tmp_path / "s.parquet"),
        "--classes",
        str(tmp_path / "classes.txt"),
        "--top-k",
        "2",
    )
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["top_k"]["2"]["accuracy"] == pytest.approx(4 / 5)


@pytest.mark.parametrize(
    ("extra", "code", "needle"),
    [
        (["--pred", "nope"], 1, "no column 'nope'"),
        (["--pred", "pred", "--levels", "7"], 1, "level 7"),
        (["--pred", "pred", "--scores", "x.npy"], 2, "exactly one"),
        ([], 2, "exactly one"),
        (["--pred", "pred", "--top-k", "a"], 2, "--top-k"),
        (["--pred", "pred", "--temperature", "0"], 2, "--temperature"),
        (["--pred", "pred", "--plot-level", "3", "--levels", "1,2"], 2, "--plot-level"),
    ],
)
def test_cli_usage_and_input_errors(runner, table, extra, code, needle):
    out = cli(runner, "evaluate", str(table), "--truth", "truth", *extra)
    assert out.exit_code == code
    assert needle in out.output
    if code == 1:
        assert out.stderr.count("\n") == 1 and out.stderr.startswith("derm-onto: error:")


def test_cli_bad_files_are_one_line(runner, table, tmp_path):
    np.save(tmp_path / "short.npy", PROBS[:3])
    (tmp_path / "classes.txt").write_text("\n".join(CLASSES) + "\n")
    (tmp_path / "bad.txt").write_text("melanoma\nnot a disease\nBCC\nx\ny\n")
    (tmp_path / "broken.npy").write_bytes(b"not numpy")
    cases = [
        (tmp_path / "short.npy", tmp_path / "classes.txt", "3"),
        (tmp_path / "broken.npy", tmp_path / "classes.txt", "cannot read scores"),
    ]
    np.save(tmp_path / "ok.npy", PROBS)
    cases.append((tmp_path / "ok.npy", tmp_path / "bad.txt", "not a disease"))
    for scores, classes, needle in cases:
        out = cli(
            runner,
            "evaluate",
            str(table),
            "--truth",
            "truth",
            "--scores",
            str(scores),
            "--classes",
            str(classes),
        )
        assert out.exit_code == 1, out.output
        assert out.stderr.count("\n") == 1 and needle in out.stderr


def test_cli_unknown_drop_reports_counts(runner, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("truth,pred\nmelanoma,melanoma\nfoo bar baz,melanoma\n", encoding="utf-8")
    strict = cli(runner, "evaluate", str(path), "--truth", "truth", "--pred", "pred")
    assert strict.exit_code == 1 and "foo bar baz" in strict.stderr
    out = cli(
        runner, "evaluate", str(path), "--truth", "truth", "--pred", "pred", "--unknown", "drop"
    )
    assert out.exit_code == 0
    data = json.loads(out.stdout)
    assert data["n"] == 1 and data["unresolved"]["truth"]["rows"] == 1
    assert "1 rows with unresolved truth" in out.stderr


def test_cli_parquet_table_with_nulls(runner, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "t.parquet"
    truth = pa.array(["melanoma", "psoriasis", "BCC"])
    pred = pa.array(["melanoma", None, "melanoma"])
    pq.write_table(pa.table({"truth": truth, "pred": pred}), path)
    out = cli(
        runner, "evaluate", str(path), "--truth", "truth", "--pred", "pred", "--unknown", "drop"
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["n"] == 2 and data["accuracy"] == 0.5
    assert data["unresolved"]["pred"] == {"rows": 1, "values": {" (empty)": 1}}
