"""Evidence for the ontology's links: condition <-> concept/finding associations mined from
annotated datasets (SkinCon, Derm1M, derm7pt, HAM10000, PAD-UFES-20).

* :mod:`~derm_onto.associations.sources`: declarative adapters (the shape of each table);
* :mod:`~derm_onto.associations.mine`: streaming, vectorised counting with hierarchy roll-up;
* :mod:`~derm_onto.associations.stats`: Wilson intervals, Fisher tests, Benjamini-Hochberg;
* :mod:`~derm_onto.associations.evidence`: the evidence file (schema, canonical form) and
  the check of asserted links against it;
* :mod:`~derm_onto.associations.owl`: the evidence as OWL axiom annotations (rdflib triples);
* :mod:`~derm_onto.associations.text`: concept-augmented prompts and inferred concept captions.
"""

from __future__ import annotations

from derm_onto.associations.mine import MineOptions, mine

__all__ = ["MineOptions", "mine"]
