"""Write the observed links the evidence calls for into a curation file.

An observed link (``Condition.observed_concepts``) says that annotators mark a concept in a
large share of a condition's images: the pairs :meth:`~derm_onto.associations.evidence.
CheckReport.observed_policy` selects (frequent and enriched, or common beyond doubt; no
typical link implies it; not excluded by the curation). This module brings a curation file
in line with that policy, so the links stay reviewable data:

* each such pair is listed in its node's ``/terms/<node>/observed_concepts`` (by label) and
  carries one ``observe`` decision in ``/evidence_decisions`` whose reason gives the counts
  of its best source column;
* an observed link the evidence no longer calls for leaves both places (reported);
* ``exclude`` decisions, and every typical decision, are kept as they are.

The rewrite is deterministic: the same curation, ontology and evidence give the same bytes
(``json.dumps(indent=2, ensure_ascii=True)`` in the file's own key order, a newline at the
end), and applying it again changes nothing.

>>> print(reason({"source": "skincon", "column": "Papule", "n_images": 40,
...               "n_with_feature": 30, "confidence": 0.75, "ci_low": 0.6,
...               "ci_high": 0.86, "lift": 4.5, "q_value": 1e-9}))
Observed, not claimed typical: annotators mark it in 30 of 40 images (75%, 95% CI 60%-86%, \
lift 4.5, q < 0.001) in skincon column 'Papule'.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from derm_onto.associations.evidence import (
    CheckOptions,
    check,
    is_frequent,
    observed_links,
)
from derm_onto.model import Ontology


@dataclass
class ObserveResult:
    """The rewritten curation and what changed (sorted (condition id, concept id) pairs)."""

    curation: dict[str, Any]
    added: list[tuple[str, str]] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)


def reason(best: Mapping[str, Any]) -> str:
    """The ``observe`` decision's reason: the counts of the best source column (an
    evidence record)."""
    q = best["q_value"]
    q_text = ", q < 0.001" if q < 0.001 else f", q = {q:.3f}"
    return (
        f"Observed, not claimed typical: annotators mark it in {best['n_with_feature']} of "
        f"{best['n_images']} images ({best['confidence']:.0%}, 95% CI {best['ci_low']:.0%}-"
        f"{best['ci_high']:.0%}, lift {best['lift']:.1f}{q_text}) in {best['source']} column "
        f"{best['column']!r}."
    )


def _term_keys(curation: Mapping[str, Any], ontology: Ontology) -> dict[str, str]:
    """node id -> its key in /terms (a key that names no live condition is skipped)."""
    from derm_onto.errors import DermOntoError
    from derm_onto.matching import resolve_term

    out: dict[str, str] = {}
    for key in curation.get("terms", {}):
        try:
            out.setdefault(resolve_term(ontology, key), key)
        except DermOntoError:
            continue
    return out


def _name(ontology: Ontology, node_id: str) -> str:
    """How a new entry names a node: its label when that resolves to it, else its id."""
    from derm_onto.errors import DermOntoError
    from derm_onto.matching import resolve_term

    label = ontology.term(node_id).label
    try:
        return label if resolve_term(ontology, label) == node_id else node_id
    except DermOntoError:
        return node_id


def observe(
    curation: Mapping[str, Any],
    ontology: Ontology,
    document: Mapping[str, Any],
    options: CheckOptions | None = None,
) -> ObserveResult:
    """``curation`` with its observed links and ``observe`` decisions set to what the
    evidence ``document`` calls for; ``ontology`` is the one ``curation`` builds.

    >>> from derm_onto.jsonio import load
    >>> from derm_onto.resources import bundled_ontology_path
    >>> from derm_onto.associations.evidence import default_path, read
    >>> from derm_onto.curation import load_curation
    >>> from derm_onto.resources import DERM1M_CURATION, data_dir
    >>> cur = load_curation(data_dir("ontology").joinpath(DERM1M_CURATION))
    >>> result = observe(cur, load(bundled_ontology_path()), read(default_path()))
    >>> result.added, result.dropped  # the bundled curation is up to date
    ([], [])
    """
    from derm_onto.associations.evidence import EvidenceIndex
    from derm_onto.associations.holdout import decided_links

    options = options or CheckOptions()
    out: dict[str, Any] = json.loads(json.dumps(curation))  # a deep copy, key order kept
    decisions: list[dict[str, Any]] = out.setdefault("evidence_decisions", [])
    decided = decided_links(ontology, decisions)
    report = check(ontology, document, options)
    wanted = report.observed_policy(ontology, decided["exclude"])
    current = set(observed_links(ontology))
    index = EvidenceIndex(document, options.level)
    keys = _term_keys(out, ontology)
    terms: dict[str, Any] = out.setdefault("terms", {})
    by_condition: dict[str, list[str]] = {}
    for c, f in sorted(wanted):
        by_condition.setdefault(c, []).append(ontology.term(f).label)
    for c in sorted({c for c, _ in current} | set(by_condition)):
        key = keys.get(c)
        if key is None:
            key = _name(ontology, c)
            terms[key] = {}
            keys[c] = key
        if c in by_condition:
            terms[key]["observed_concepts"] = sorted(by_condition[c])
        else:
            terms[key].pop("observed_concepts", None)
    kept = [d for d in decisions if d["decision"] != "observe"]
    for c, f in sorted(wanted, key=lambda k: (keys[k[0]].casefold(), k)):
        best = max(  # the frequent record with the highest confidence (ties: most images)
            (r for r in index.records[(c, f)] if is_frequent(r, index.min_images, options)),
            key=lambda r: (r["confidence"], r["n_images"], r["source"], r["column"]),
        )
        kept.append(
            {
                "condition": keys[c],
                "feature": ontology.term(f).label,
                "decision": "observe",
                "reason": reason(best),
            }
        )
    out["evidence_decisions"] = kept
    return ObserveResult(
        out,
        added=sorted(wanted - current),
        dropped=sorted(current - wanted),
        kept=sorted(wanted & current),
    )


def dumps_curation(curation: Mapping[str, Any]) -> bytes:
    """The curation file's bytes: the file's key order, indent 2, ASCII, newline at end.

    >>> dumps_curation({"b": "é", "a": [1]})
    b'{\\n  "b": "\\\\u00e9",\\n  "a": [\\n    1\\n  ]\\n}\\n'
    """
    return (json.dumps(curation, indent=2, ensure_ascii=True) + "\n").encode("ascii")
