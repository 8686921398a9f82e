"""A held-out measure of the links: split the annotated images in two halves, decide on
half A, measure on half B.

Each table's rows go to half A or B by the SHA-256 of a salt and the row's *group key*:
the image id where every image is its own case (SkinCon ``ImageID``, Derm1M ``filename``),
the case, lesion or patient where one has several images (derm7pt ``case_num``, HAM10000
``lesion_id``, PAD-UFES-20 ``patient_id``), so near-duplicate images never straddle the
halves; a table of another shape hashes the whole row. A label-only table (Fitzpatrick17k,
which SkinCon joins for its labels) goes to both halves whole. The split is deterministic
(same rows and salt, same halves) and independent of row order. Each half is written as
Parquet (every cell kept as its string) and mined like the full tables.

>>> half_of("eb0cbb277ba6b206c5fafc66ab8c46f9.jpg"), half_of("ISIC_0027419")
('B', 'B')
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from derm_onto.associations.sources import SourceAdapter
from derm_onto.model import Ontology

if TYPE_CHECKING:
    from derm_onto.associations.evidence import CheckOptions
    from derm_onto.associations.mine import MineOptions

#: The column whose value keeps a case's images together, per built-in source.
GROUP_KEYS: dict[str, str] = {
    "skincon": "ImageID",
    "derm1m": "filename",
    "derm7pt": "case_num",
    "ham10000": "lesion_id",
    "pad_ufes_20": "patient_id",
}
DEFAULT_SALT = "derm-onto holdout 1"
#: The curation's evidence decisions: on typical links, then on observed ones.
DECISIONS = ("keep", "remove", "add", "reject", "observe", "exclude")
SETS = ("before", "rule", "curated", "curated_observed", "shipped", "shipped_observed")


def salts(n: int) -> list[str]:
    """The salts of ``n`` repeated splits, the default one first.

    >>> salts(2)
    ['derm-onto holdout 1', 'derm-onto holdout 2']
    """
    return [f"derm-onto holdout {i}" for i in range(1, n + 1)]


def half_of(key: str, salt: str = DEFAULT_SALT) -> str:
    """``"A"`` or ``"B"``: the low bit of SHA-256(salt, NUL, key)."""
    digest = hashlib.sha256(f"{salt}\0{key}".encode()).digest()
    return "AB"[digest[-1] & 1]


def _halves(batch: Any, key: str | None, salt: str) -> Any:
    """A boolean array: True for the rows of half A."""
    import pyarrow as pa

    if key is not None and key in batch.schema.names:
        keys = batch.column(key).to_pylist()
    else:
        columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
        keys = ["\x1f".join(cells) for cells in zip(*columns, strict=True)]
    return pa.array([half_of(k, salt) == "A" for k in keys], type=pa.bool_())


def split_tables(
    tables: Sequence[str],
    folder: str | Path,
    *,
    salt: str = DEFAULT_SALT,
    adapters: Sequence[SourceAdapter] = (),
) -> tuple[list[str], list[str]]:
    """Write each table's two halves under ``folder/A`` and ``folder/B``; return the table
    arguments (``SOURCE=PATH`` kept) of half A and of half B, for
    :func:`~derm_onto.associations.mine.mine`."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from derm_onto.associations.mine import parse_table_arg, read_selected
    from derm_onto.associations.sources import adapter, detect
    from derm_onto.errors import DermOntoError
    from derm_onto.tables import read_columns

    extra = {a.name: a for a in adapters}
    out: dict[str, list[str]] = {"A": [], "B": []}
    for n, arg in enumerate(tables):
        name, path = parse_table_arg(arg)
        if not Path(path).is_file():
            raise DermOntoError(f"{path}: no such file")
        columns = read_columns(path)
        spec = adapter(name, extra) if name else detect(columns, path, extra)
        prefix = f"{name}=" if name else ""
        if not spec.mined:  # labels only: both halves join the whole table
            for args in out.values():
                args.append(arg)
            continue
        key = GROUP_KEYS.get(spec.name)
        schema = pa.schema([(c, pa.string()) for c in columns])
        targets = {h: Path(folder) / h / f"{n}_{Path(path).stem}.parquet" for h in out}
        for target in targets.values():
            target.parent.mkdir(parents=True, exist_ok=True)
        with (
            pq.ParquetWriter(targets["A"], schema) as a_writer,
            pq.ParquetWriter(targets["B"], schema) as b_writer,
        ):
            for batch in read_selected(path, columns):
                table = pa.Table.from_batches([batch]).select(columns).cast(schema)
                mask = _halves(batch, key, salt)
                a_writer.write_table(table.filter(mask))
                b_writer.write_table(table.filter(pa.compute.invert(mask)))
        for name_of_half, target in targets.items():
            out[name_of_half].append(prefix + str(target))
    return out["A"], out["B"]


def decided_links(
    ontology: Ontology, decisions: Sequence[Mapping[str, Any]]
) -> dict[str, set[tuple[str, str]]]:
    """The curation's evidence decisions as (condition id, feature id) sets per decision
    (names resolved like the curation does: id, label, synonym or released name)."""
    from derm_onto.errors import DermOntoError
    from derm_onto.matching import resolve_term

    out: dict[str, set[tuple[str, str]]] = {k: set() for k in DECISIONS}
    for i, d in enumerate(decisions):
        try:
            condition = resolve_term(ontology, d["condition"])
        except DermOntoError as exc:
            raise DermOntoError(f"/evidence_decisions/{i}/condition: {exc}") from None
        feature = None
        for kind in ("concepts", "findings"):
            try:
                feature = resolve_term(ontology, d["feature"], kind)
                break
            except DermOntoError:
                continue
        if feature is None:
            raise DermOntoError(f"/evidence_decisions/{i}/feature: unknown {d['feature']!r}")
        out[d["decision"]].add((condition, feature))
    return out


def _without(ontology: Ontology, links: set[tuple[str, str]]) -> Ontology:
    """The ontology with only ``links`` as its conditions' concepts and findings, and no
    observed links."""
    conditions = tuple(
        dataclasses.replace(
            c,
            concepts=tuple(f for f in c.concepts if (c.id, f) in links),
            findings=tuple(f for f in c.findings if (c.id, f) in links),
            observed_concepts=(),
        )
        for c in ontology.conditions
    )
    return dataclasses.replace(ontology, conditions=conditions)


def evaluate(
    ontology: Ontology,
    decide_on: Mapping[str, Any],
    measure_on: Mapping[str, Any],
    decisions: Sequence[Mapping[str, Any]] = (),
    options: CheckOptions | None = None,
) -> dict[str, Any]:
    """Decide the links on one evidence document, measure them on another.

    The links before the evidence pass are the asserted ones minus those the curation added
    from the evidence (``add`` decisions). On ``decide_on``, :func:`~derm_onto.associations.
    evidence.check` of those links gives the contradicted links (removed unless the curation
    keeps them) and the candidates. Two ways to take candidates are measured:

    * ``rule``: every candidate the placement rule proposes, nothing else;
    * ``curated``: the curation's decisions applied as a policy to the candidates of
      ``decide_on``: a candidate it adds is taken, one it rejects is not, any other follows
      the rule (a decision on a pair that is no candidate on ``decide_on`` does nothing);
    * ``curated_observed``: ``curated`` plus the observed links ``decide_on`` calls for
      (:meth:`~derm_onto.associations.evidence.CheckReport.observed_policy`: frequent
      concepts no curated typical link implies, apart from those the curation excludes).

    The shipped links are measured alone (``shipped``) and with the shipped observed links
    (``shipped_observed``). :func:`~derm_onto.associations.evidence.quality` of each result
    is measured on
    ``measure_on`` (``*_held_out``) and on ``decide_on`` (``*_in_sample``), for every
    condition and for the diseases only (:func:`~derm_onto.associations.evidence.
    disease_nodes`), beside the links before and the shipped (asserted) links; the shipped
    links were decided on all the data, so their held-out figure is optimistic.
    """
    from derm_onto import hierarchy
    from derm_onto.associations.evidence import (
        CheckOptions,
        EvidenceIndex,
        asserted_links,
        check,
        disease_nodes,
        implied_links,
        observed_links,
        quality,
    )

    options = options or CheckOptions()
    decided = decided_links(ontology, decisions)
    shipped = set(asserted_links(ontology))
    before = shipped - decided["add"]
    report = check(_without(ontology, before), decide_on, options)
    contradicted = {
        (x.condition, x.feature) for x in report.links if x.status == "contradicted"
    } - decided["keep"]
    candidates = {(x.condition, x.feature) for x in report.candidates}
    proposed = {(x.condition, x.feature) for x in report.candidates if not x.note}
    curated = ((proposed - decided["reject"]) | decided["add"]) & candidates
    graph = hierarchy.build_graph(ontology)
    curated_typical = (before - contradicted) | curated
    observe_sets = {
        "curated_observed": report.observed_policy(
            ontology, decided["exclude"], implied_links(graph, curated_typical)
        ),
        "shipped_observed": set(observed_links(ontology)),
    }
    diseases = disease_nodes(ontology, graph, options)
    indexes = {
        "held_out": EvidenceIndex(measure_on, options.level),
        "in_sample": EvidenceIndex(decide_on, options.level),
    }
    out: dict[str, Any] = {
        "contradicted": len(contradicted),
        "candidates": len(candidates),
        "proposed": len(proposed),
        "taken_by_the_curation": len(curated),
    }
    sets = {
        "before": before,
        "rule": (before - contradicted) | proposed,
        "curated": curated_typical,
        "curated_observed": curated_typical,
        "shipped": shipped,
        "shipped_observed": shipped,
    }
    for name, links in sets.items():
        seen = observe_sets.get(name, set())
        for where, index in indexes.items():
            m = quality(ontology, index, links, options, graph=graph, observed=seen)
            m["diseases"] = quality(
                ontology, index, links, options, graph=graph, conditions=diseases, observed=seen
            )
            out[f"{name}_{where}"] = m
    return out


def format_holdout(result: Mapping[str, Any]) -> str:
    """The held-out figures as text, one line per set of links and measure."""
    from derm_onto.associations.evidence import format_quality

    rows = ", ".join(f"{s} {a}+{b}" for s, (a, b) in sorted(result.get("rows", {}).items()))
    out = [
        f"held-out (decide on half A, measure on half B; salt {result.get('salt')!r}; rows "
        f"{rows}): contradicted {result['contradicted']}, candidates {result['candidates']}, "
        f"proposed {result['proposed']}, taken by the curation "
        f"{result['taken_by_the_curation']}\n"
    ]
    for name in SETS:
        for where in ("held_out", "in_sample"):
            out.append(f"  {name} ({where}): {format_quality(result[f'{name}_{where}'])}\n")
    return "".join(out)


def holdout(
    tables: Sequence[str],
    ontology: Ontology,
    decisions: Sequence[Mapping[str, Any]] = (),
    *,
    salt: str = DEFAULT_SALT,
    options: CheckOptions | None = None,
    mine_options: MineOptions | None = None,
    adapters: Sequence[SourceAdapter] = (),
) -> dict[str, Any]:
    """Split ``tables`` (:func:`split_tables`), mine each half, decide on A and measure on
    B (:func:`evaluate`); the halves' sizes per source are reported too."""
    import tempfile

    from derm_onto.associations.mine import mine

    with tempfile.TemporaryDirectory(prefix="derm-onto-holdout-") as folder:
        half_a, half_b = split_tables(tables, folder, salt=salt, adapters=adapters)
        doc_a = mine(half_a, ontology, mine_options, adapters=adapters)
        doc_b = mine(half_b, ontology, mine_options, adapters=adapters)
    result = evaluate(ontology, doc_a, doc_b, decisions, options)
    result["salt"] = salt
    result["rows"] = {
        s["source"]: [s["rows_labelled"], t["rows_labelled"]]
        for s, t in zip(doc_a["sources"], doc_b["sources"], strict=True)
    }
    return result


def summarise(results: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Mean, min and max of precision and recall over repeated splits, per set of links,
    held out and in sample, for every condition and for the diseases only.

    >>> m = {"precision_ge_10pct": 0.9, "recall_of_frequent": 0.7,
    ...      "recall_of_characteristic": 0.8}
    >>> r = {f"{s}_{w}": {**m, "diseases": m} for s in SETS for w in ("held_out", "in_sample")}
    >>> summarise([r, r])["curated_held_out"]["recall"]
    {'mean': 0.7, 'min': 0.7, 'max': 0.7}
    """
    out: dict[str, Any] = {"splits": len(results)}
    for name in SETS:
        for where in ("held_out", "in_sample"):
            key = f"{name}_{where}"
            entry: dict[str, Any] = {}
            for scope in ("", "diseases_"):
                for measure, field_name in (
                    ("precision", "precision_ge_10pct"),
                    ("recall", "recall_of_frequent"),
                    ("characteristic_recall", "recall_of_characteristic"),
                ):
                    parts = [r[key]["diseases"] if scope else r[key] for r in results]
                    values = [p[field_name] for p in parts if p[field_name] is not None]
                    entry[scope + measure] = (
                        {
                            "mean": round(sum(values) / len(values), 4),
                            "min": min(values),
                            "max": max(values),
                        }
                        if values
                        else None
                    )
            out[key] = entry
    return out


def format_summary(summary: Mapping[str, Any]) -> str:
    """The summary of repeated splits as text: mean [min-max]."""

    def span(x: Mapping[str, float] | None) -> str:
        return "n/a" if x is None else f"{x['mean']:.3f} [{x['min']:.3f}-{x['max']:.3f}]"

    out = [f"held-out over {summary['splits']} splits (mean [min-max]):\n"]
    for name in SETS:
        for where in ("held_out", "in_sample"):
            e = summary[f"{name}_{where}"]
            out.append(
                f"  {name} ({where}): precision {span(e['precision'])}, recall "
                f"{span(e['recall'])}; diseases only: precision {span(e['diseases_precision'])}, "
                f"recall {span(e['diseases_recall'])}; characteristic recall "
                f"{span(e['characteristic_recall'])}, diseases "
                f"{span(e['diseases_characteristic_recall'])}\n"
            )
    return "".join(out)
