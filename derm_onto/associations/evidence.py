"""The evidence file (``ontology/derm1m.associations.json``) and the check of asserted links.

The file is canonical: sorted keys, 2-space indent, UTF-8, a newline at the end, and one
association record per line, so a rebuild diffs line by line. Nothing in it depends on the
time or the path a table was read from (files are named by base name and SHA-256).

The check compares the ontology's asserted links (``Condition.concepts`` / ``.findings``)
with the evidence. Per link and source column that covers the feature, with ``n_images`` >=
the minimum: the confidence (share of the condition's images showing the feature) and its
Wilson interval, the rate of zero counts included (the file's ``columns`` margins keep
them). A link is

* ``supported`` when some source shows the feature in >= ``support_confidence`` (10%) of the
  condition's images;
* ``contradicted`` when no source does and, in some source column, the data are
  significantly *below what the feature's base rate in that column predicts*: the one-sided
  Fisher exact test of depletion (hypergeometric lower tail ``P(X <= n_with_feature)``,
  ``X ~ Hypergeom(n_total, n_feature, n_images)``), Benjamini-Hochberg corrected over every
  (asserted link, source column) pair tested, has q < ``alpha``, and the observed rate is
  low beyond doubt (upper Wilson bound < ``contradict_below``, 25%). A feature the
  annotators almost never use (macule in 13 of SkinCon's 3,230 images: 0.4 expected among
  94 images) cannot contradict anything: its absence is what the base rate predicts;
* ``weak`` otherwise (not seen often, but not fewer times than chance predicts), and
  ``no_data`` when no source covers it.

The rule is monotone: more images with the feature never turn a link contradicted, and a
link whose rate equals the base rate is never contradicted (the hypergeometric median is
its mean when the mean is whole, so the lower tail is >= 1/2).

Candidates are unasserted pairs, not implied by an ancestor's link, seen in >=
``candidate_confidence`` (40%) of the condition's images, and either significantly enriched
(BH q < alpha) or common beyond doubt (lower Wilson bound >= ``candidate_ci_low``, 20%): a
typical feature need not be specific (erythema is typical of eczema and of much else).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from derm_onto.errors import DermOntoError
from derm_onto.model import Concept, ConceptCategory, Ontology

LinkStatus = Literal["supported", "contradicted", "weak", "no_data"]
#: ``typical``: ``Condition.concepts``/``.findings`` (inherited); ``observed``:
#: ``Condition.observed_concepts`` (a statement about the condition's images, not inherited)
Relation = Literal["typical", "observed"]
SCHEMA = "associations.schema.json"
#: The evidence file beside the bundled ontology.
DEFAULT_FILE = "derm1m.associations.json"


def dumps(document: Mapping[str, Any]) -> bytes:
    """Canonical bytes: sorted keys, indent 2, one association record per line.

    >>> print(dumps({"format": "x", "associations": [{"b": 1, "a": 2}]}).decode(), end="")
    {
      "associations": [
        {"a": 2, "b": 1}
      ],
      "format": "x"
    }
    """
    head = {k: v for k, v in document.items() if k != "associations"}
    records = document.get("associations", [])
    encode = json.JSONEncoder(sort_keys=True, ensure_ascii=False).encode  # one, reused
    body = json.dumps(head, sort_keys=True, indent=2, ensure_ascii=False)
    rest = body[1:-1].strip("\n")
    tail = ("," if rest else "") + ("\n" + rest if rest else "") + "\n}\n"
    if not records:
        return ('{\n  "associations": []' + tail).encode("utf-8")
    # one line per record; the head and the tail joined to the first and last line, so
    # the text is copied once (tens of MB: each + of the whole would copy it again)
    from derm_onto.heap import paused_collection

    with paused_collection():  # the encoder's item lists; no cycles
        lines = list(map(encode, records))
    lines[0] = '{\n  "associations": [\n    ' + lines[0]
    lines[-1] += "\n  ]" + tail
    return ",\n    ".join(lines).encode("utf-8")


def schema_path() -> Path:
    """The JSON Schema of the evidence file."""
    from derm_onto.resources import data_dir

    return Path(str(data_dir("schemas").joinpath(SCHEMA)))


def default_path() -> Path:
    """The bundled evidence file."""
    from derm_onto.resources import data_dir

    return Path(str(data_dir("ontology").joinpath(DEFAULT_FILE)))


def validate(document: Any, source: str = "<associations>") -> None:
    """Raise :class:`DermOntoError` naming the JSON path of the first schema violation."""
    import jsonschema

    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/" + "/".join(str(p) for p in first.absolute_path)
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise DermOntoError(f"{source}:{where}: {first.message}{more}")


def write(document: Mapping[str, Any], path: str | Path, *, check_schema: bool = False) -> None:
    """Write atomically in canonical form. :func:`~derm_onto.associations.mine.mine`'s
    output is valid by construction (the tests validate it); ``check_schema=True`` validates
    first (jsonschema walks every record: seconds per 10,000 records)."""
    from derm_onto.files import atomic_write

    if check_schema:
        validate(document, str(path))
    with atomic_write(path) as handle:
        handle.write(dumps(document))


def read(path: str | Path) -> dict[str, Any]:
    """Read and validate an evidence file."""
    from derm_onto.jsonio import read_json

    document = read_json(path)
    validate(document, str(path))
    if not isinstance(document, dict):  # pragma: no cover - the schema requires an object
        raise DermOntoError(f"{path}: not an object")
    return document


@dataclass(frozen=True)
class Evidence:
    """One source column's evidence for one (condition, feature) pair."""

    condition: str
    feature: str
    source: str
    column: str
    n_images: int
    n_with_feature: int
    n_feature: int
    n_total: int
    confidence: float
    ci_low: float
    ci_high: float
    lift: float
    q_value: float | None  # None: not in the file (zero count, not tested for enrichment)
    #: BH q-value of depletion (fewer images with the feature than the base rate predicts);
    #: None until :func:`check` tests the link
    q_depleted: float | None = None


@dataclass(frozen=True)
class CheckOptions:
    """Thresholds of :func:`check`."""

    support_confidence: float = 0.10
    contradict_below: float = 0.25
    candidate_confidence: float = 0.40
    candidate_ci_low: float = 0.20
    alpha: float = 0.05
    level: float = 0.95
    #: proposals: conditions shallower than this (Derm1M's top categories) get none
    min_depth: int = 2
    #: the quality measures are also given for "diseases": conditions with at most this many
    #: descendants (leaves and disease families), apart from the broad classes above them
    broad_size: int = 12


@dataclass
class LinkReport:
    """The verdict on one link (asserted or candidate) and its evidence."""

    condition: str
    feature: str
    status: LinkStatus
    evidence: list[Evidence] = field(default_factory=list)
    #: a candidate: why the placement rule does not propose it ("" when it does)
    note: str = ""
    relation: Relation = "typical"

    def best(self) -> Evidence | None:
        """The evidence row with the highest confidence (ties: most images)."""
        if not self.evidence:
            return None
        return max(self.evidence, key=lambda e: (e.confidence, e.n_images, e.source, e.column))


class EvidenceIndex:
    """Evidence rows by (condition, feature), zero counts reconstructed from the margins."""

    def __init__(self, document: Mapping[str, Any], level: float = 0.95) -> None:
        self.document = document
        self.min_images = int(document["parameters"]["min_images"])
        self.level = level
        self.records: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for r in document["associations"]:
            self.records.setdefault((r["condition"], r["feature"]), []).append(r)
        self._zero_high: dict[int, float] = {}
        self.columns = [(s["source"], c) for s in document["sources"] for c in s["columns"]]

    def evidence(self, condition: str, feature: str) -> list[Evidence]:
        """Every covering source column's evidence (n_images >= the minimum)."""
        from derm_onto.associations.stats import wilson

        stored = {(r["source"], r["column"]): r for r in self.records.get((condition, feature), ())}
        out: list[Evidence] = []
        for source, column in self.columns:
            n_images = column["n_images"].get(condition, 0)
            if feature not in column["n_feature"] or n_images < self.min_images:
                continue
            r = stored.get((source, column["column"]))
            if r is not None:
                out.append(
                    Evidence(
                        condition,
                        feature,
                        source,
                        column["column"],
                        r["n_images"],
                        r["n_with_feature"],
                        r["n_feature"],
                        r["n_total"],
                        r["confidence"],
                        r["ci_low"],
                        r["ci_high"],
                        r["lift"],
                        r["q_value"],
                    )
                )
                continue
            high = self._zero_high.get(n_images)
            if high is None:
                high = round(float(wilson(0, n_images, self.level)[1]), 6)
                self._zero_high[n_images] = high
            out.append(
                Evidence(
                    condition,
                    feature,
                    source,
                    column["column"],
                    n_images,
                    0,
                    column["n_feature"][feature],
                    column["n_total"],
                    0.0,
                    0.0,
                    high,
                    0.0,
                    None,
                )
            )
        return out


def asserted_links(ontology: Ontology) -> list[tuple[str, str]]:
    """Every asserted typical (condition, concept|finding) pair, sorted."""
    return sorted((c.id, f) for c in ontology.conditions for f in (*c.concepts, *c.findings))


def observed_links(ontology: Ontology) -> list[tuple[str, str]]:
    """Every (condition, concept) pair of ``observed_concepts``, sorted."""
    return sorted((c.id, f) for c in ontology.conditions for f in c.observed_concepts)


def is_frequent(row: Mapping[str, Any], min_images: int, options: CheckOptions) -> bool:
    """Whether one evidence record makes its pair a candidate: seen in >= 40%
    (``candidate_confidence``) of >= ``min_images`` images, and either enriched (BH q <
    ``alpha``) or common beyond doubt (lower Wilson bound >= ``candidate_ci_low``).

    >>> r = {"n_images": 30, "confidence": 0.5, "q_value": 0.2, "ci_low": 0.33}
    >>> is_frequent(r, 10, CheckOptions()), is_frequent({**r, "n_images": 9}, 10, CheckOptions())
    (True, False)
    """
    return bool(
        row["n_images"] >= min_images
        and row["confidence"] >= options.candidate_confidence
        and (row["q_value"] < options.alpha or row["ci_low"] >= options.candidate_ci_low)
    )


def depletion_p(evidence: Sequence[Evidence]) -> list[float]:
    """One-sided Fisher exact p-values of depletion, one per row: ``P(X <= n_with_feature)``
    with ``X ~ Hypergeom(n_total, n_feature, n_images)``, the chance of seeing the feature
    this rarely (or rarer) among the condition's images if they showed it at the column's
    base rate.

    >>> row = Evidence("c", "f", "s", "col", 94, 0, 13, 3230, 0.0, 0.0, 0.04, 0.0, None)
    >>> round(depletion_p([row])[0], 3)  # macule: 0 of 94, 13 of 3,230 overall
    0.681
    >>> round(depletion_p([dataclasses.replace(row, n_feature=1000)])[0], 12)
    0.0
    """
    if not evidence:
        return []
    import numpy as np
    from scipy.stats import hypergeom

    n_cf, n_c, n_f, n = (
        np.array([getattr(e, name) for e in evidence], dtype=np.int64)
        for name in ("n_with_feature", "n_images", "n_feature", "n_total")
    )
    return [float(p) for p in np.clip(hypergeom.cdf(n_cf, n, n_f, n_c), 0.0, 1.0)]


def with_depletion(links: Sequence[LinkReport]) -> list[LinkReport]:
    """The links with each evidence row's ``q_depleted`` set: depletion p-values
    (:func:`depletion_p`) Benjamini-Hochberg corrected over every row of every link."""
    from derm_onto.associations.stats import benjamini_hochberg

    rows = [e for link in links for e in link.evidence]
    q = iter(float(x) for x in benjamini_hochberg(depletion_p(rows)))
    return [
        dataclasses.replace(
            link, evidence=[dataclasses.replace(e, q_depleted=next(q)) for e in link.evidence]
        )
        for link in links
    ]


def verdict(evidence: Iterable[Evidence], options: CheckOptions) -> LinkStatus:
    """A link's status from its evidence rows (``q_depleted`` set, see
    :func:`with_depletion`); the rule is in the module docstring.

    >>> row = Evidence("c", "f", "s", "col", 94, 0, 13, 3230, 0.0, 0.0, 0.04, 0.0, None, 1.0)
    >>> verdict([row], CheckOptions()), verdict([], CheckOptions())
    ('weak', 'no_data')
    >>> verdict([dataclasses.replace(row, q_depleted=1e-9)], CheckOptions())
    'contradicted'
    """
    rows = list(evidence)
    if not rows:
        return "no_data"
    if any(e.confidence >= options.support_confidence for e in rows):
        return "supported"
    if any(
        e.q_depleted is not None
        and e.q_depleted < options.alpha
        and e.ci_high < options.contradict_below
        for e in rows
    ):
        return "contradicted"
    return "weak"


@dataclass
class CheckReport:
    """Asserted links with verdicts (typical, then observed), candidate links, and summary
    figures. ``frequent`` holds every pair (artifacts apart) that meets the candidate rule
    (:func:`is_frequent`), linked or not; ``implied`` every pair a typical link implies."""

    links: list[LinkReport]
    candidates: list[LinkReport]
    summary: dict[str, Any]
    frequent: frozenset[tuple[str, str]] = frozenset()
    implied: frozenset[tuple[str, str]] = frozenset()

    def observed_policy(
        self,
        ontology: Ontology,
        excluded: Iterable[tuple[str, str]] = (),
        implied: set[tuple[str, str]] | frozenset[tuple[str, str]] | None = None,
    ) -> set[tuple[str, str]]:
        """The observed links the evidence calls for: every frequent (condition, concept)
        pair that no typical link implies (the checked ontology's, or ``implied``), apart
        from those the curation ``excluded``. Findings (sites, symptoms) are left out: how
        often a site is photographed says how the data were sampled. Unlike a typical link,
        an observed one is a statement about the condition's own images, so a group gets it
        only when its images show it."""
        concepts = {t.id for t in ontology.concepts}
        implied = self.implied if implied is None else implied
        return {k for k in self.frequent if k[1] in concepts} - implied - set(excluded)

    def as_dict(self, ontology: Ontology) -> dict[str, Any]:
        """A JSON-ready dict."""

        def row(link: LinkReport) -> dict[str, Any]:
            best = link.best()
            return {
                "condition": link.condition,
                "condition_label": ontology.term(link.condition).label,
                "feature": link.feature,
                "feature_label": ontology.term(link.feature).label,
                "relation": link.relation,
                "status": link.status,
                "note": link.note,
                "evidence": [e.__dict__ for e in link.evidence],
                "best": best.__dict__ if best else None,
            }

        return {
            "summary": self.summary,
            "contradicted": [row(x) for x in self.links if x.status == "contradicted"],
            "candidates": [row(x) for x in self.candidates],
            "links": [row(x) for x in self.links],
        }


def check(
    ontology: Ontology, document: Mapping[str, Any], options: CheckOptions | None = None
) -> CheckReport:
    """Check asserted links against the evidence; list candidate links."""
    from derm_onto import hierarchy

    options = options or CheckOptions()
    index = EvidenceIndex(document, options.level)
    graph = hierarchy.build_graph(ontology)
    links: list[LinkReport] = []
    # one multiple-testing family per relation: observed links do not move typical verdicts
    families: tuple[tuple[Relation, list[tuple[str, str]]], ...] = (
        ("typical", asserted_links(ontology)),
        ("observed", observed_links(ontology)),
    )
    for relation, pairs in families:
        tested = with_depletion(
            [
                LinkReport(c, f, "no_data", index.evidence(c, f), relation=relation)
                for c, f in pairs
                if c in ontology and f in ontology
            ]
        )
        links += [dataclasses.replace(x, status=verdict(x.evidence, options)) for x in tested]
    implied = implied_links(graph, asserted_links(ontology))
    observed = set(observed_links(ontology))
    artifacts = {
        t.id
        for t in ontology.concepts
        if isinstance(t, Concept) and t.category == ConceptCategory.ARTIFACT
    }
    candidates: list[LinkReport] = []
    depths = hierarchy.depth(graph)
    found: set[tuple[str, str]] = set()
    for (c, f), rows in sorted(index.records.items()):
        if f in artifacts or c not in ontology or f not in ontology:
            continue
        if not any(is_frequent(r, index.min_images, options) for r in rows):
            continue
        found.add((c, f))
        if (c, f) in implied or (c, f) in observed:
            continue
        note = placement(ontology, graph, index, c, f, options, depths)
        candidates.append(LinkReport(c, f, "supported", index.evidence(c, f), note))
    summary = _summary(ontology, index, links, candidates, options)
    return CheckReport(links, candidates, summary, frozenset(found), frozenset(implied))


def _rate(index: EvidenceIndex, condition: str, feature: str) -> float | None:
    rows = index.evidence(condition, feature)
    return max(e.confidence for e in rows) if rows else None


def placement(
    ontology: Ontology,
    graph: Any,
    index: EvidenceIndex,
    condition: str,
    feature: str,
    options: CheckOptions,
    depths: Mapping[str, int] | None = None,
) -> str:
    """Why a candidate link should not be placed on ``condition`` ("" when it may be).

    A link holds for every descendant (OWL inheritance), so a candidate is *proposed* only
    when it is a concept (sites and symptoms are the datasets' sampling or the patients'
    report: the curation decides those by hand), the condition is not one of the top
    categories (depth < ``min_depth``), and, on a group, the data show it across the group
    rather than in one member: at least two children with data, or most of its images
    labelled at the group itself (unless it has one child), and every child and descendant
    with data shows it in >= ``support_confidence`` of its images.
    """
    from derm_onto import hierarchy

    if feature not in {t.id for t in ontology.concepts}:
        return "a finding (site or symptom): decided by hand"
    depths = depths if depths is not None else hierarchy.depth(graph)
    depth = depths.get(condition, 0)
    if depth < options.min_depth:
        return "a top category"
    kids = hierarchy.children(graph, condition) if condition in graph else []
    if not kids:
        return ""
    seen = [k for k in kids if index.evidence(condition=k, feature=feature)]
    if len(kids) > 1 and len(seen) < 2:
        own = max((e.n_images for e in index.evidence(condition, feature)), default=0)
        members = sum(max(e.n_images for e in index.evidence(k, feature)) for k in seen)
        if members * 2 > own:
            return "a group seen through one member only"
    for d in hierarchy.descendants(graph, condition):
        r = _rate(index, d, feature)
        if r is not None and r < options.support_confidence:
            return f"a group whose member {ontology.term(d).label!r} shows it in {r:.0%}"
    return ""


def implied_links(graph: Any, direct: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Every (condition, feature) a set of direct links implies: a link on a condition holds
    for each of its descendants (OWL inheritance of ``subClassOf has_feature some F``)."""
    from derm_onto import hierarchy

    out: set[tuple[str, str]] = set()
    for c, f in direct:
        if c in graph:
            out.update((d, f) for d in hierarchy.descendants(graph, c, reflexive=True))
    return out


def disease_nodes(ontology: Ontology, graph: Any, options: CheckOptions) -> set[str]:
    """Conditions with at most ``broad_size`` descendants: leaves and disease families
    (melanoma, basal cell carcinoma, scabies), not broad classes (malignant, infectious)."""
    from derm_onto import hierarchy

    return {
        c.id
        for c in ontology.conditions
        if c.id in graph and len(hierarchy.descendants(graph, c.id)) <= options.broad_size
    }


def quality(
    ontology: Ontology,
    index: EvidenceIndex,
    direct: Iterable[tuple[str, str]],
    options: CheckOptions | None = None,
    *,
    graph: Any = None,
    conditions: set[str] | None = None,
    observed: Iterable[tuple[str, str]] = (),
) -> dict[str, Any]:
    """The issue's quality measures of a set of direct typical links (and ``observed``
    links) on concepts, against an evidence document: recall = share of the (condition,
    concept) pairs seen in >= 40% (``candidate_confidence``) of the condition's images, in
    some source with >= the minimum images, that are linked on the condition, inherited
    from an ancestor's typical link, or observed on the condition itself (observed links
    are not inherited);
    precision = share of linked pairs (inherited included) with data whose concept some
    source shows in >= 10% (``support_confidence``) of the condition's images. Conditions
    are every node with images, groups included (a group's images are its descendants'), or
    only ``conditions`` when given.

    ``recall_of_characteristic`` is the recall of the frequent pairs that the same source
    row also shows enriched (BH q < alpha against the feature's base rate): a concept
    frequent in a condition's images *and* more frequent there than elsewhere, which is
    what a textbook calls typical; erythema in 66% of all SkinCon images is frequent in most
    conditions without being characteristic of them.
    """
    from derm_onto import hierarchy

    options = options or CheckOptions()
    graph = graph if graph is not None else hierarchy.build_graph(ontology)
    concept_ids = {t.id for t in ontology.concepts}

    def kept(key: tuple[str, str]) -> bool:
        return key[1] in concept_ids and (conditions is None or key[0] in conditions)

    typical = {k for k in implied_links(graph, direct) if kept(k)}
    seen = {k for k in observed if kept(k)}
    linked = typical | seen
    frequent = {
        key
        for key, rows in index.records.items()
        if kept(key)
        and any(
            r["confidence"] >= options.candidate_confidence and r["n_images"] >= index.min_images
            for r in rows
        )
    }
    characteristic = {
        key
        for key in frequent
        if any(
            r["confidence"] >= options.candidate_confidence
            and r["n_images"] >= index.min_images
            and r["significant"]
            for r in index.records[key]
        )
    }
    rates = {k: [e.confidence for e in index.evidence(*k)] for k in linked}
    with_data = {k: max(r) for k, r in rates.items() if r}
    good = sum(1 for r in with_data.values() if r >= options.support_confidence)
    found = len(frequent & linked)
    return {
        "linked_concept_pairs": len(linked),
        "observed_concept_pairs": len(seen - typical),
        "linked_with_data": len(with_data),
        "precision_ge_10pct": round(good / len(with_data), 4) if with_data else None,
        "frequent_pairs_ge_40pct": len(frequent),
        "recall_of_frequent": round(found / len(frequent), 4) if frequent else None,
        "characteristic_pairs": len(characteristic),
        "recall_of_characteristic": (
            round(len(characteristic & linked) / len(characteristic), 4) if characteristic else None
        ),
    }


def _summary(
    ontology: Ontology,
    index: EvidenceIndex,
    links: list[LinkReport],
    candidates: list[LinkReport],
    options: CheckOptions,
) -> dict[str, Any]:
    """Counts, and :func:`quality` before and after removing the contradicted links and
    adding every candidate."""
    from collections import Counter

    from derm_onto import hierarchy

    graph = hierarchy.build_graph(ontology)
    typical = [x for x in links if x.relation == "typical"]
    status = Counter(x.status for x in typical)
    direct = {(x.condition, x.feature) for x in typical}
    observed = {(x.condition, x.feature) for x in links if x.relation == "observed"}
    contradicted = {(x.condition, x.feature) for x in typical if x.status == "contradicted"}
    added = {(x.condition, x.feature) for x in candidates}
    proposed = {(x.condition, x.feature) for x in candidates if not x.note}
    after = (direct - contradicted) | added
    diseases = disease_nodes(ontology, graph, options)
    sets = {
        "before": direct,
        "after_removing_contradicted_and_adding_candidates": after,
        "after_removing_contradicted_and_adding_proposed": (direct - contradicted) | proposed,
    }
    out: dict[str, Any] = {
        "asserted": len(typical),
        "supported": status.get("supported", 0),
        "contradicted": status.get("contradicted", 0),
        "weak": status.get("weak", 0),
        "no_data": status.get("no_data", 0),
        "candidates": len(candidates),
        "proposed": len(proposed),
        "observed": len(observed),
        "observed_supported": sum(
            1 for x in links if x.relation == "observed" and x.status == "supported"
        ),
    }
    for name, linked in sets.items():
        out[name] = quality(ontology, index, linked, options, graph=graph)
        out[name]["diseases"] = quality(
            ontology, index, linked, options, graph=graph, conditions=diseases
        )
    out["with_observed"] = quality(ontology, index, direct, options, graph=graph, observed=observed)
    out["with_observed"]["diseases"] = quality(
        ontology, index, direct, options, graph=graph, conditions=diseases, observed=observed
    )
    return out


def format_quality(m: Mapping[str, Any]) -> str:
    """One line of :func:`quality` figures (and of its ``diseases`` part when present).

    >>> text = format_quality({"linked_concept_pairs": 9, "precision_ge_10pct": 0.9,
    ...     "recall_of_frequent": 0.75, "frequent_pairs_ge_40pct": 4,
    ...     "recall_of_characteristic": 1.0, "characteristic_pairs": 2})
    >>> import textwrap
    >>> print(textwrap.fill(text, 80))
    9 concept links, precision(>=10%) 0.9, recall of >=40% concepts 0.75 (of 4), of
    characteristic ones 1.0 (of 2)
    """
    text = (
        f"{m['linked_concept_pairs']} concept links, precision(>=10%) "
        f"{m['precision_ge_10pct']}, recall of >=40% concepts {m['recall_of_frequent']} "
        f"(of {m['frequent_pairs_ge_40pct']}), of characteristic ones "
        f"{m['recall_of_characteristic']} (of {m['characteristic_pairs']})"
    )
    if "diseases" in m:
        d = m["diseases"]
        text += (
            f"; diseases only: precision {d['precision_ge_10pct']}, "
            f"recall {d['recall_of_frequent']} (of {d['frequent_pairs_ge_40pct']}), "
            f"characteristic {d['recall_of_characteristic']} (of {d['characteristic_pairs']})"
        )
    return text


def format_report(ontology: Ontology, report: CheckReport) -> str:
    """The check as text: summary, contradicted links, candidates (one line each)."""

    def line(link: LinkReport) -> str:
        best = link.best()
        where = (
            f"{best.n_with_feature}/{best.n_images} = {best.confidence:.0%} "
            f"[{best.ci_low:.0%}, {best.ci_high:.0%}] in {best.source}:{best.column}"
            if best
            else "no data"
        )
        note = f" (not proposed: {link.note})" if link.note else ""
        return (
            f"  {link.condition} {ontology.term(link.condition).label} -> {link.feature} "
            f"{ontology.term(link.feature).label}: {where}{note}\n"
        )

    s = report.summary
    out = [
        f"asserted links: {s['asserted']} (supported {s['supported']}, contradicted "
        f"{s['contradicted']}, weak {s['weak']}, no data {s['no_data']}); "
        f"candidates: {s['candidates']} (proposed by the placement rule: {s['proposed']}); "
        f"observed links: {s['observed']} (supported {s['observed_supported']})\n"
    ]
    for name in (
        "before",
        "with_observed",
        "after_removing_contradicted_and_adding_candidates",
        "after_removing_contradicted_and_adding_proposed",
    ):
        out.append(f"{name}: {format_quality(s[name])}\n")
    contradicted = [x for x in report.links if x.status == "contradicted"]
    out.append(f"contradicted ({len(contradicted)}):\n")
    out.extend(line(x) for x in contradicted)
    out.append(f"candidates ({len(report.candidates)}):\n")
    out.extend(line(x) for x in report.candidates)
    return "".join(out)
