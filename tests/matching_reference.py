"""The matcher as it was before the rapidfuzz index and the comma-run fast path (main at
ba62cb3), kept verbatim as the reference the property tests compare the fast path with.
Not part of the package; do not use outside tests.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from derm_onto.model import Kind, Ontology, SynonymType

Method = Literal[
    "exact",
    "synonym",
    "normalised",
    "word_order",
    "fuzzy",
    "ambiguous",
    "sentinel",
    "empty",
    "unmatched",
]

#: Cells that mean "no value" rather than an unknown name (compared case-insensitively), per
#: kind: Derm1M's diagnosis sentinel, and its metadata sentinels plus HAM10000's "unknown".
SENTINELS: Mapping[str, frozenset[str]] = {
    "conditions": frozenset({"no definitive diagnosis"}),
    "concepts": frozenset({"no visual concepts"}),
    "findings": frozenset(
        {
            "no body location information",
            "no symptom information",
            "unknown",
        }
    ),
}
#: How strongly a name points at its entry: labels, then exact synonyms, then the rest.
_LABEL, _EXACT, _LOOSE = 0, 1, 2
_SCORES: Mapping[str, float] = {
    "exact": 1.0,
    "synonym": 0.95,
    "normalised": 0.9,
    "word_order": 0.85,
}
FUZZY_CUTOFF = 0.9

_BRITISH_WORDS = {"oedema": "edema", "tumour": "tumor", "colour": "color", "coeliac": "celiac"}
_BRITISH_PARTS = re.compile(r"haem|naev|oesophag|seborrhoe|oedema|tumour|colour|coeliac")
_BRITISH_PART_MAP = {
    "haem": "hem",
    "naev": "nev",
    "oesophag": "esophag",
    "seborrhoe": "seborrhe",
    **_BRITISH_WORDS,
}
_ISE = re.compile(r"\b(\w+)is(e|ed|ation)\b")
_IRREGULAR = {
    "nevi": "nevus",
    "bullae": "bulla",
    "comedones": "comedo",
    "lentigines": "lentigo",
    "striae": "stria",
    "feet": "foot",
    "teeth": "tooth",
    "milia": "milium",
    "papillomata": "papilloma",
    "condylomata": "condyloma",
    "acuminata": "acuminatum",
    "telangiectases": "telangiectasia",
    "telangiectasias": "telangiectasia",
}


_POSSESSIVE = re.compile(r"'s\b|s'(?=\s|$)")
_PUNCTUATION = re.compile(r"[^\w\s]|_")
_QUALIFIERS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")


def _singular(word: str) -> str:
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) <= 3 or word.endswith(("ss", "us", "is", "os")):
        return word
    if word.endswith("oses"):
        return word[:-2] + "is"
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "zes")):
        return word[:-2]
    if word.endswith("s"):
        return word[:-1]
    return word


def fold(text: str) -> str:
    """Case, spacing and accents folded; nothing else."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.casefold().split())


def normalise(text: str, *, drop_qualifiers: bool = False) -> str:
    """The loose key of a name: accents, possessives, punctuation, British spelling and
    plurals folded.

    """
    text = fold(text).replace("\u2019", "'").replace("`", "'")
    if drop_qualifiers and ("(" in text or "[" in text):
        text = _QUALIFIERS.sub(" ", text)
    if "'" in text:
        text = _POSSESSIVE.sub("", text)
    text = _PUNCTUATION.sub(" ", text)
    if _BRITISH_PARTS.search(text):
        text = _BRITISH_PARTS.sub(lambda m: _BRITISH_PART_MAP[m.group(0)], text)
    if "is" in text:
        text = _ISE.sub(r"\1iz\2", text)
    return " ".join(_singular(w) for w in text.split())


def _bag(key: str) -> str:
    return " ".join(sorted(key.split()))


@dataclass(frozen=True, slots=True)
class Match:
    """The result for one label: ``id`` is empty when nothing (or not one thing) matched."""

    input: str
    id: str = ""
    label: str = ""
    method: Method = "unmatched"
    score: float = 0.0
    candidates: tuple[str, ...] = field(default=())

    @property
    def matched(self) -> bool:
        """True when the input resolved to exactly one entry."""
        return bool(self.id)


class Matcher:
    """An index of one kind's names, built once; :meth:`match` is then a few dict lookups.

    ``kind`` selects the entries to match (conditions by default; concepts and findings for
    caption vocabularies).
    """

    def __init__(
        self, ontology: Ontology, kind: Kind = "conditions", sentinels: Iterable[str] | None = None
    ) -> None:
        self.ontology = ontology
        self.kind = kind
        self.sentinels = frozenset(
            fold(s) for s in (SENTINELS[kind] if sentinels is None else sentinels)
        )
        self._labels = {t.id: t.label for t in ontology.entries(kind)}
        self._raw: dict[str, dict[str, int]] = {}
        self._norm: dict[str, dict[str, int]] = {}
        self._bag: dict[str, dict[str, int]] = {}
        for term in ontology.entries(kind):
            names = [(term.label, _LABEL)]
            names += [
                (
                    s.text,
                    _EXACT if s.type in (SynonymType.EXACT, SynonymType.ABBREVIATION) else _LOOSE,
                )
                for s in term.synonyms
            ]
            names += [(p, _EXACT) for p in term.provenance]
            for name, strength in names:
                self._add(self._raw, fold(name), term.id, strength)
                key = normalise(name)
                self._add(self._norm, key, term.id, strength)
                self._add(self._bag, _bag(key), term.id, strength)
                if "(" in name or "[" in name:
                    # "Dermatitis (acute and chronic)" is also found as "dermatitis", weakly:
                    # any real label or exact synonym with that name outranks it
                    bare = normalise(name, drop_qualifiers=True)
                    self._add(self._norm, bare, term.id, _LOOSE)
                    self._add(self._bag, _bag(bare), term.id, _LOOSE)
        self._fuzzy_keys = sorted(self._norm)
        self._words: dict[str, set[str]] = {}
        for key, hits in self._norm.items():
            for word in key.split():
                self._words.setdefault(word, set()).update(hits)
        self._cache: dict[str, Match] = {}
        self._strict_cache: dict[tuple[str, str], Match] = {}

    @staticmethod
    def _add(index: dict[str, dict[str, int]], key: str, term_id: str, strength: int) -> None:
        if not key:
            return
        slot = index.setdefault(key, {})
        slot[term_id] = min(strength, slot.get(term_id, strength))

    def _decide(
        self, text: str, hits: Mapping[str, int] | None, method: Method, score: float
    ) -> Match | None:
        if not hits:
            return None
        best = min(hits.values())
        ids = sorted(i for i, s in hits.items() if s == best)
        if len(ids) > 1:
            return Match(text, method="ambiguous", candidates=tuple(ids))
        if method == "exact" and best != _LABEL:
            method, score = "synonym", _SCORES["synonym"] if best == _EXACT else 0.85
        elif best == _LOOSE:
            score = round(score - 0.1, 2)
        return Match(text, ids[0], self._labels[ids[0]], method, score)

    def match(self, text: str) -> Match:
        """Match one name (no splitting), at every level down to fuzzy."""
        cached = self._cache.get(text)
        if cached is None:
            cached = self._cache[text] = self._match(text, loose=True)
        return cached

    def match_strict(self, text: str) -> Match:
        """Match one name exactly or after normalisation only (no word order, no fuzzy)."""
        key = ("strict", text)
        cached = self._strict_cache.get(key)
        if cached is None:
            cached = self._strict_cache[key] = self._match(text, loose=False)
        return cached

    def _match(self, text: str, *, loose: bool) -> Match:
        folded = fold(text)
        if not folded:
            return Match(text, method="empty")
        if folded in self.sentinels:
            return Match(text, method="sentinel")
        raw = self._decide(text, self._raw.get(folded), "exact", _SCORES["exact"])
        if raw is not None:
            return raw
        key = normalise(text)
        has_qualifier = "(" in text or "[" in text
        loose_key = normalise(text, drop_qualifiers=True) if has_qualifier else key
        steps: list[tuple[Mapping[str, int] | None, Method]] = [
            (self._norm.get(key), "normalised"),
        ]
        if has_qualifier:
            steps.append((self._norm.get(loose_key), "normalised"))
        if loose:
            if text.count(",") == 1:
                head, tail = (p.strip() for p in text.split(","))
                steps.append((self._norm.get(normalise(f"{tail} {head}")), "word_order"))
            steps.append((self._bag.get(_bag(loose_key)), "word_order"))
        for hits, method in steps:
            found = self._decide(text, hits, method, _SCORES[method])
            if found is not None:
                return found
        if not loose:
            return Match(text, method="unmatched")
        close = difflib.get_close_matches(loose_key, self._fuzzy_keys, n=3, cutoff=0.6)
        ratio = difflib.SequenceMatcher(None, loose_key, close[0]).ratio() if close else 0.0
        if ratio >= FUZZY_CUTOFF:
            found = self._decide(text, self._norm[close[0]], "fuzzy", round(0.8 * ratio, 2))
            if found is not None:
                return found
        suggestions = list(
            dict.fromkeys(term_id for key in close for term_id in sorted(self._norm[key]))
        )
        if len(suggestions) < 3:  # entries sharing the most words, for a curator to check
            shared: Counter[str] = Counter()
            for word in set(loose_key.split()):
                if len(word) > 3:
                    shared.update(self._words.get(word, ()))
            ranked = sorted(shared, key=lambda i: (-shared[i], i))
            suggestions += [i for i in ranked if i not in suggestions]
        return Match(text, method="unmatched", candidates=tuple(suggestions[:3]))

    def match_cell(self, cell: str) -> list[Match]:
        """Match a cell that may hold several labels, in input order."""
        out: list[Match] = []
        for chunk in re.split(r"[;|]", cell):
            if not chunk.strip() and out:
                continue
            if "," not in chunk:
                out.append(self.match(chunk.strip()))
                continue
            whole = self.match_strict(chunk.strip())
            if whole.matched or whole.method in ("sentinel", "empty"):
                out.append(whole)
                continue
            parts = self._split_commas(chunk)
            if not all(m.matched for m in parts):
                loose_whole = self.match(chunk.strip())
                if loose_whole.matched:  # "carcinoma, basal cell": the whole, reordered
                    parts = [loose_whole]
            out.extend(parts)
        return out

    def _split_commas(self, chunk: str) -> list[Match]:
        parts = [p.strip() for p in chunk.split(",") if p.strip()]
        out: list[Match] = []
        start = 0
        while start < len(parts):
            for end in range(len(parts), start, -1):  # the longest run that matches wins
                text = ", ".join(parts[start:end])
                found = self.match(text) if end == start + 1 else self.match_strict(text)
                if found.matched or end == start + 1:
                    out.append(found)
                    start = end
                    break
        return out

    def label_of(self, term_id: str) -> str:
        """The label of an indexed id."""
        return self._labels[term_id]


def resolve_term(ontology: Ontology, text: str, kind: Kind = "conditions") -> str:
    """The id a user means by ``text``: an id, a label, a synonym or a released name.

    Raises :class:`~derm_onto.errors.UnknownTermError` naming the candidates when the text
    is unknown or ambiguous.

    """
    from derm_onto.errors import UnknownTermError

    if text in ontology and ontology.kind_of(text) == kind:
        return text
    found = Matcher(ontology, kind).match(text)
    if found.matched:
        return found.id
    hint = ""
    if found.candidates:
        names = ", ".join(f"{c} ({ontology.term(c).label!r})" for c in found.candidates)
        hint = f"; {'candidates' if found.method == 'ambiguous' else 'did you mean'}: {names}"
    what = "ambiguous" if found.method == "ambiguous" else "unknown"
    raise UnknownTermError(f"{what} term {text!r}{hint}")
