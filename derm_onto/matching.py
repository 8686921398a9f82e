"""Match free-text labels (dataset class names, Derm1M ``disease_label`` cells) to ontology ids.

The matcher indexes every entry's label, synonyms and provenance names once. A query is tried
at increasingly loose levels, and the first level that finds anything decides:

1. ``exact`` / ``synonym``: the text as written (case and spacing aside);
2. ``normalised``: accents, possessives (Kaposi's), punctuation and hyphens, British
   spellings (oedema, haemangioma, tumour, naevus) and plurals folded; then the same with
   parenthetical qualifiers dropped, on either side ("melanoma (in situ)" finds melanoma;
   "dermatitis" finds "Dermatitis (acute and chronic)" unless something is called
   dermatitis outright);
3. ``word_order``: "carcinoma, basal cell" as "basal cell carcinoma", or the same words in
   any order;
4. ``fuzzy``: a close spelling (ratio >= 0.9). Candidates come from rapidfuzz over the
   precomputed name index; the few that pass are scored with :mod:`difflib`, so scores and
   suggestions are exactly difflib's ``get_close_matches`` at a fraction of its cost.

At a level, labels and exact synonyms outrank related, broad and narrow synonyms. When two
entries remain equally good the result is ``ambiguous``: the matcher never picks one
silently. Derm1M's ``no definitive diagnosis`` is a ``sentinel``, not an unknown.

A cell may hold several labels (``candidiasis, tinea``; ``;`` and ``|`` always separate).
Commas separate only where the whole text is not itself a name: the longest run of
comma-separated parts that matches wins ("Ulcers, Erosion of skin" is one name); a run of
several parts must match exactly or after normalisation, never by word order or fuzzily.
A run of plain ASCII parts is checked against the index through the cached keys of its
parts (its key is theirs joined), so a table of 100k distinct multi-label cells costs a few
dictionary lookups per cell.

Obsolete entries are never a result: a name of an obsolete entry resolves to the entry that
replaces it (``replaced_by``, with a ``note`` saying so), or to nothing (method
``obsolete``, with its ``consider`` ids as candidates). :meth:`Matcher.explain` lists every
step tried for one name; :meth:`Matcher.resolve_class` also reads compound class names
("X, Y and other Z photos") as a set of ids (see :mod:`derm_onto.compound`).

>>> from derm_onto.jsonio import load
>>> from derm_onto.resources import bundled_ontology_path
>>> matcher = Matcher(load(bundled_ontology_path()))
>>> m = matcher.match("Basal-cell carcinomas")
>>> (m.label, m.method)
('basal cell carcinoma', 'normalised')
>>> [x.label for x in matcher.match_cell("candidiasis, tinea")]
['candidiasis', 'tinea']
"""

from __future__ import annotations

import difflib
import functools
import heapq
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from derm_onto.model import KINDS, Kind, Ontology, SynonymType, Term
from derm_onto.text import bag as _bag
from derm_onto.text import fold, normalise

Method = Literal[
    "exact",
    "synonym",
    "normalised",
    "word_order",
    "fuzzy",
    "compound",
    "prefix",
    "ambiguous",
    "obsolete",
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
#: How close a name must be to be offered as a suggestion (difflib ratio).
SUGGEST_CUTOFF = 0.6
_SEPARATORS = re.compile(r"[;|]")
#: Characters after which a comma-separated run's key is not its parts' keys joined
#: (possessives, qualifiers in brackets); such runs take the full path.
_UNSAFE = frozenset("'`([")
_SLOW_PAIR = re.compile(r"[;|'`(\[]")
#: Cells :meth:`Matcher.match_pairs` leaves to :meth:`Matcher.match_cell`: those
#: ``_SLOW_PAIR`` finds, and those with white space other than single spaces inside.
_PAIR_LEFT_TO_MATCH_CELL = r"[;|'`(\[\t\n\v\f\r\x1c-\x1f]|  |^ | $"


@dataclass(frozen=True, slots=True)
class Match:
    """The result for one label: ``id`` is empty when nothing (or not one thing) matched.

    ``members`` holds the ids a compound class name stands for (method ``compound``);
    :attr:`ids` is the result as a set of ids either way. ``note`` says why the result is not
    the entry the name belongs to (an obsolete entry and its replacement).

    >>> Match("BCC", "X:1", "basal cell carcinoma", "synonym", 0.95).ids
    ('X:1',)
    >>> Match("moles and freckles", method="compound", members=("X:1", "X:2")).ids
    ('X:1', 'X:2')
    """

    input: str
    id: str = ""
    label: str = ""
    method: Method = "unmatched"
    score: float = 0.0
    candidates: tuple[str, ...] = field(default=())
    members: tuple[str, ...] = ()
    note: str = ""

    @property
    def matched(self) -> bool:
        """True when the input resolved to exactly one entry."""
        return bool(self.id)

    @property
    def ids(self) -> tuple[str, ...]:
        """Every id the input stands for: a compound name's members, else the one id."""
        if self.members:
            return self.members
        return (self.id,) if self.id else ()


@dataclass(frozen=True, slots=True)
class PairMatches:
    """What :meth:`Matcher.match_pairs` found: ``mask`` (NumPy, one per cell) marks the
    "name, name" cells both of whose names matched; for those cells in order, ``head`` and
    ``tail`` index ``names`` (the matches of every name the matcher's ``match_pairs`` has
    met, in order of first sight), and ``heads`` and ``tails`` (Arrow strings) are the
    names as written, stripped."""

    mask: Any
    head: Any
    tail: Any
    names: list[Match]
    heads: Any
    tails: Any


@dataclass(frozen=True, slots=True)
class Step:
    """One step :meth:`Matcher.explain` tried: the key it looked up and what it found.

    ``outcome`` is ``match``, ``ambiguous``, ``obsolete`` or ``miss``; ``ids`` are the
    entries found (the candidates when ambiguous).
    """

    step: str
    key: str
    outcome: str
    ids: tuple[str, ...] = ()
    score: float = 0.0
    detail: str = ""


def _split_step(text: str, cell: Sequence[Match]) -> Step:
    outcome = "match" if all(m.matched for m in cell) else "miss"
    detail = "; ".join(f"{m.input!r}: {m.id or m.method}" for m in cell)
    return Step("split", text, outcome, tuple(i for m in cell for i in m.ids), detail=detail)


def _outcome(found: Match | None) -> tuple[str, tuple[str, ...]]:
    if found is None:
        return "miss", ()
    if found.method in ("ambiguous", "obsolete"):
        return found.method, found.candidates
    return ("match", found.ids) if found.ids else ("miss", ())


class _LooseIndex(NamedTuple):
    norm: dict[str, dict[str, int]]
    bag: dict[str, dict[str, int]]
    fuzzy_keys: list[str]
    words: dict[str, set[str]]


class Matcher:
    """An index of one kind's names, built once; :meth:`match` is then a few dict lookups.

    ``kind`` selects the entries to match (conditions by default; concepts and findings for
    caption vocabularies). Results are cached per distinct text, and so are the normalised
    keys of the texts seen.
    """

    def __init__(
        self, ontology: Ontology, kind: Kind = "conditions", sentinels: Iterable[str] | None = None
    ) -> None:
        self.ontology = ontology
        self.kind = kind
        self.sentinels = frozenset(
            fold(s) for s in (SENTINELS[kind] if sentinels is None else sentinels)
        )
        entries = ontology.entries(kind)
        self._labels = {t.id: t.label for t in entries}
        self._replacement = _replacements(entries)
        self._consider = {
            t.id: tuple(c for c in t.consider if c in self._labels and c not in self._replacement)
            for t in entries
            if t.obsolete
        }
        self._raw: dict[str, dict[str, int]] = {}
        self._names: list[tuple[str, str, int]] = []  # (name, id, strength), for _loose
        for term in entries:
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
                self._names.append((name, term.id, strength))
        self._keys: dict[str, str] = {}
        self._first_words: dict[str, set[str]] | None = None
        self._cache: dict[str, Match] = {}
        self._strict_cache: dict[str, Match] = {}
        self._whole_names: Any = None  # Arrow arrays of the index keys, for match_pairs
        self._norm_keys: Any = None
        # the names match_pairs met: numbered, matched, and their keys (Arrow) and flags
        self._pair_number: dict[str, int] = {}
        self._pair_matches: list[Match] = []
        self._pair_keys: Any = None
        self._pair_matched: Any = None

    @staticmethod
    def _add(index: dict[str, dict[str, int]], key: str, term_id: str, strength: int) -> None:
        if not key:
            return
        slot = index.setdefault(key, {})
        slot[term_id] = min(strength, slot.get(term_id, strength))

    @functools.cached_property
    def _loose(self) -> _LooseIndex:
        """The normalised, word-bag, fuzzy and word indexes: built on the first name that
        the exact level does not resolve (``derm-onto match 'acne vulgaris'`` never needs
        them)."""
        norm: dict[str, dict[str, int]] = {}
        bags: dict[str, dict[str, int]] = {}
        for name, term_id, strength in self._names:
            key = normalise(name)
            self._add(norm, key, term_id, strength)
            self._add(bags, _bag(key), term_id, strength)
            if "(" in name or "[" in name:
                # "Dermatitis (acute and chronic)" is also found as "dermatitis", weakly:
                # any real label or exact synonym with that name outranks it
                bare = normalise(name, drop_qualifiers=True)
                self._add(norm, bare, term_id, _LOOSE)
                self._add(bags, _bag(bare), term_id, _LOOSE)
        words: dict[str, set[str]] = {}
        for key, hits in norm.items():
            for word in key.split():
                words.setdefault(word, set()).update(self._live(hits))
        return _LooseIndex(norm, bags, sorted(norm), words)

    @property
    def _norm(self) -> dict[str, dict[str, int]]:
        return self._loose.norm

    @property
    def _bag(self) -> dict[str, dict[str, int]]:
        return self._loose.bag

    @property
    def _fuzzy_keys(self) -> list[str]:
        return self._loose.fuzzy_keys

    @property
    def _words(self) -> dict[str, set[str]]:
        return self._loose.words

    def _live(self, term_ids: Iterable[str]) -> list[str]:
        """The ids, once each, with each obsolete one replaced (or dropped when nothing
        replaces it)."""
        if not self._replacement:
            return list(dict.fromkeys(term_ids))
        out = [self._replacement.get(i, i) for i in term_ids]
        return list(dict.fromkeys(i for i in out if i is not None))

    def _key(self, text: str) -> str:
        key = self._keys.get(text)
        if key is None:
            key = self._keys[text] = normalise(text)
        return key

    def _decide(
        self, text: str, hits: Mapping[str, int] | None, method: Method, score: float
    ) -> Match | None:
        if not hits:
            return None
        note = ""
        if self._replacement and not self._replacement.keys().isdisjoint(hits):
            hits, note, consider = self._replace(hits)
            if not hits:
                return Match(text, method="obsolete", candidates=consider, note=note)
        best = min(hits.values())
        ids = sorted(i for i, s in hits.items() if s == best)
        if len(ids) > 1:
            return Match(text, method="ambiguous", candidates=tuple(ids), note=note)
        if method == "exact" and best != _LABEL:
            method, score = "synonym", _SCORES["synonym"] if best == _EXACT else 0.85
        elif best == _LOOSE:
            score = round(score - 0.1, 2)
        return Match(text, ids[0], self._labels[ids[0]], method, score, note=note)

    def _replace(self, hits: Mapping[str, int]) -> tuple[dict[str, int], str, tuple[str, ...]]:
        """Hits with obsolete entries swapped for their replacements, a note, and the ids
        the obsolete ones without a replacement ask to consider."""
        out: dict[str, int] = {}
        notes: list[str] = []
        consider: list[str] = []
        for term_id, strength in sorted(hits.items()):
            if term_id in self._replacement:
                new = self._replacement[term_id]
                said = f"{term_id} ({self._labels[term_id]!r}) is obsolete"
                if new is None:
                    consider += self._consider[term_id]
                    notes.append(said)
                    continue
                notes.append(f"{said}, replaced by {new}")
                term_id = new
            out[term_id] = min(strength, out.get(term_id, strength))
        return out, "; ".join(notes), tuple(dict.fromkeys(consider))

    def match(self, text: str) -> Match:
        """Match one name (no splitting), at every level down to fuzzy."""
        cached = self._cache.get(text)
        if cached is None:
            cached = self._cache[text] = self._match(text, loose=True)
        return cached

    def match_strict(self, text: str) -> Match:
        """Match one name exactly or after normalisation only (no word order, no fuzzy)."""
        cached = self._strict_cache.get(text)
        if cached is None:
            cached = self._strict_cache[text] = self._match(text, loose=False)
        return cached

    def explain(self, text: str) -> list[Step]:
        """Every step tried to match ``text``, in order, up to the one that decided.

        Steps: ``empty``/``sentinel``, ``exact`` (labels, synonyms and released names as
        written; named ``synonym`` when one of those matched),
        ``normalised`` (and ``normalised_bare``, qualifiers dropped), ``word_order`` (the
        comma swap, then any order), ``fuzzy`` (with the best ratio), ``compound`` for a
        class name that stands for a set. A cell with commas is explained as
        :meth:`match_cell` reads it: the whole exactly or normalised, then ``split`` into
        its parts, then the whole in another order or spelling.

        >>> from derm_onto.jsonio import load
        >>> from derm_onto.resources import bundled_ontology_path
        >>> matcher = Matcher(load(bundled_ontology_path()))
        >>> [(s.step, s.outcome) for s in matcher.explain("carcinoma, basal cell")]
        [('exact', 'miss'), ('normalised', 'miss'), ('split', 'miss'), ('word_order', 'match')]
        >>> fuzzy = matcher.explain("psoriasiss vulgaris")[-1]
        >>> (fuzzy.step, fuzzy.outcome, fuzzy.score > 0.9)
        ('fuzzy', 'match', True)
        """
        trace: list[Step] = []
        if ";" in text or "|" in text:  # several names: each is matched on its own
            cell = self.match_cell(text)
            trace.append(_split_step(text, cell))
            return trace
        comma = "," in text  # as match_cell: the whole strictly, then its parts, then loosely
        found = self._match(text, loose=not comma, trace=trace)
        if found.matched or found.method in ("sentinel", "empty", "obsolete"):
            return trace
        if comma:
            parts = [p for p in (p.strip() for p in text.split(",")) if p]
            trace.append(_split_step(text, self._split_commas(parts, whole_tried=False)))
            if trace[-1].outcome == "match":
                return trace
            loose: list[Step] = []
            found = self._match(text, loose=True, trace=loose)
            trace += [s for s in loose if s.step in ("word_order", "fuzzy")]
            if found.matched:
                return trace
        whole = self.resolve_class(text)
        if whole.method == "compound":
            trace.append(Step("compound", text, "match", whole.ids, whole.score, whole.note))
        elif found.candidates:
            trace.append(Step("suggest", "", "miss", found.candidates))
        return trace

    def _match(self, text: str, *, loose: bool, trace: list[Step] | None = None) -> Match:
        folded = fold(text)
        if not folded:
            if trace is not None:
                trace.append(Step("empty", "", "match"))
            return Match(text, method="empty")
        if folded in self.sentinels:
            if trace is not None:
                trace.append(Step("sentinel", folded, "match"))
            return Match(text, method="sentinel")
        raw = self._decide(text, self._raw.get(folded), "exact", _SCORES["exact"])
        if trace is not None:  # named "synonym" when a synonym or released name matched
            step = raw.method if raw is not None and raw.method == "synonym" else "exact"
            trace.append(Step(step, folded, *_outcome(raw), score=raw.score if raw else 0.0))
        if raw is not None:
            return raw
        key = self._key(text)
        has_qualifier = "(" in text or "[" in text
        loose_key = normalise(text, drop_qualifiers=True) if has_qualifier else key
        steps: list[tuple[str, str, Mapping[str, dict[str, int]], Method]] = [
            ("normalised", key, self._norm, "normalised")
        ]
        if has_qualifier:
            steps.append(("normalised_bare", loose_key, self._norm, "normalised"))
        if loose:
            if text.count(",") == 1:
                head, tail = (p.strip() for p in text.split(","))
                steps.append(("word_order", normalise(f"{tail} {head}"), self._norm, "word_order"))
            steps.append(("word_order", _bag(loose_key), self._bag, "word_order"))
        for name, step_key, index, method in steps:
            found = self._decide(text, index.get(step_key), method, _SCORES[method])
            if trace is not None:
                score = found.score if found else 0.0
                trace.append(Step(name, step_key, *_outcome(found), score=score))
            if found is not None:
                return found
        if not loose:
            return Match(text, method="unmatched")
        close = self._close(loose_key)
        ratio = difflib.SequenceMatcher(None, loose_key, close[0]).ratio() if close else 0.0
        found = None
        if ratio >= FUZZY_CUTOFF:
            found = self._decide(text, self._norm[close[0]], "fuzzy", round(0.8 * ratio, 2))
        if trace is not None:
            detail = (
                f"closest {close[0]!r}, ratio {ratio:.3f} (needs {FUZZY_CUTOFF})" if close else ""
            )
            trace.append(
                Step("fuzzy", loose_key, *_outcome(found), score=round(ratio, 3), detail=detail)
            )
        if found is not None:
            return found
        suggestions = self._live(term_id for key in close for term_id in sorted(self._norm[key]))
        if len(suggestions) < 3:  # entries sharing the most words, for a curator to check
            shared: Counter[str] = Counter()
            for word in set(loose_key.split()):
                if len(word) > 3:
                    shared.update(self._words.get(word, ()))
            ranked = sorted(shared, key=lambda i: (-shared[i], i))
            suggestions += [i for i in ranked if i not in suggestions]
        return Match(text, method="unmatched", candidates=tuple(suggestions[:3]))

    def _close(self, query: str) -> list[str]:
        """``difflib.get_close_matches(query, keys, n=3, cutoff=0.6)``, exactly, fast.

        rapidfuzz's ratio (2 x longest common subsequence / total length) is never below
        difflib's (whose matching blocks form a common subsequence), so rapidfuzz finds a
        superset of difflib's answers over the whole index in C; difflib then scores only
        those few.
        """
        from rapidfuzz import fuzz, process

        found = process.extract(
            query,
            self._fuzzy_keys,
            scorer=fuzz.ratio,
            score_cutoff=SUGGEST_CUTOFF * 100 - 1,
            limit=None,
        )
        scorer = difflib.SequenceMatcher()
        scorer.set_seq2(query)  # as get_close_matches: the query is b, each candidate a
        scored: list[tuple[float, str]] = []
        for key, _, _ in found:
            scorer.set_seq1(key)
            ratio = scorer.ratio()
            if ratio >= SUGGEST_CUTOFF:
                scored.append((ratio, key))
        return [key for _, key in heapq.nlargest(3, scored)]

    def match_cell(self, cell: str) -> list[Match]:
        """Match a cell that may hold several labels, in input order."""
        if cell.count(",") == 1 and cell.isascii() and _SLOW_PAIR.search(cell) is None:
            pair = self._match_pair(cell)
            if pair is not None:
                return pair
        out: list[Match] = []
        for chunk in _SEPARATORS.split(cell):
            stripped = chunk.strip()
            if not stripped and out:
                continue
            if "," not in chunk:
                out.append(self.match(stripped))
                continue
            parts = [p for p in (p.strip() for p in chunk.split(",")) if p]
            if self._may_match(stripped, parts):
                whole = self.match_strict(stripped)
                if whole.matched or whole.method in ("sentinel", "empty"):
                    out.append(whole)
                    continue
            found = self._split_commas(parts, whole_tried=stripped == ", ".join(parts))
            if not all(m.matched for m in found):
                loose_whole = self.match(stripped)
                if loose_whole.matched:  # "carcinoma, basal cell": the whole, reordered
                    found = [loose_whole]
            out.extend(found)
        return out

    def _match_pair(self, cell: str) -> list[Match] | None:
        """The common "name, name" cell whose two names both match and whose whole does
        not: what the general path returns, without it; None for any other cell."""
        head, tail = cell.split(",")
        a, b = head.strip(), tail.strip()
        if not a or not b:
            return None
        folded = " ".join(cell.lower().split())
        if folded in self._raw or folded in self.sentinels:
            return None
        keys = self._keys
        key_a = keys.get(a)
        if key_a is None:
            key_a = self._key(a)
        key_b = keys.get(b)
        if key_b is None:
            key_b = self._key(b)
        if (f"{key_a} {key_b}" if key_a and key_b else key_a or key_b) in self._norm:
            return None
        found_a = self._cache.get(a) or self.match(a)
        found_b = self._cache.get(b) or self.match(b)
        return [found_a, found_b] if found_a.id and found_b.id else None

    def match_pairs(self, cells: Any) -> PairMatches:
        """:meth:`match_cell`'s shortcut for "name, name" cells, over an Arrow string
        array at once: which cells are two names that both match while the whole does
        not (for those, :meth:`match_cell` gives ``[match(head), match(tail)]``), with
        their stripped heads and tails and the matches of the distinct names. Only the
        distinct names are matched in Python; splitting, folding and the checks of the
        whole are Arrow kernels.

        >>> import pyarrow as pa
        >>> from derm_onto.jsonio import load
        >>> from derm_onto.resources import bundled_ontology_path
        >>> matcher = Matcher(load(bundled_ontology_path()))
        >>> pairs = matcher.match_pairs(pa.array(["psoriasis, tinea", "BCC", "tinea, nothing"]))
        >>> pairs.mask.tolist(), [pairs.names[i].label for i in pairs.head]
        ([True, False, False], ['psoriasis'])
        """
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        from derm_onto.arrays import bools, ints, string, strings, to_numpy

        n = len(cells)
        space = string(" ")
        # as match_cell: one comma, ASCII, none of ; | ' ` ( [; and (left to match_cell)
        # white space other than single spaces between words, so that the whole folds to
        # its lower case
        commas = to_numpy(pc.count_substring(cells, ","))
        mask = (commas == 1) & to_numpy(pc.string_is_ascii(cells))
        mask &= ~to_numpy(pc.match_substring_regex(cells, _PAIR_LEFT_TO_MATCH_CELL))
        rows = np.flatnonzero(mask)
        if not len(rows):
            nothing = strings([])
            return PairMatches(np.zeros(n, dtype=bool), rows, rows, [], nothing, nothing)
        sub = cells.take(ints(rows))
        flat = pc.list_flatten(pc.split_pattern(sub, ","))
        heads = pc.ascii_trim_whitespace(flat.take(ints(np.arange(0, 2 * len(rows), 2))))
        tails = pc.ascii_trim_whitespace(flat.take(ints(np.arange(1, 2 * len(rows), 2))))
        keep = (to_numpy(pc.binary_length(heads)) > 0) & (to_numpy(pc.binary_length(tails)) > 0)
        # the whole, folded as match_pair folds it, must be no name nor sentinel
        folded = pc.ascii_lower(sub)
        if self._whole_names is None:
            self._whole_names = strings(sorted(set(self._raw) | self.sentinels))
            self._norm_keys = strings(sorted(self._norm))
            self._pair_keys = strings([])
            self._pair_matched = np.zeros(0, dtype=bool)
        keep &= ~to_numpy(pc.is_in(folded, value_set=self._whole_names))
        # the names, numbered and matched once for the matcher's life (with their keys)
        encoded = pc.dictionary_encode(pa.concat_arrays([heads, tails]))
        names = encoded.dictionary.to_pylist()
        number = self._pair_number.get
        numbers = [number(t) for t in names]
        new = [t for t, k in zip(names, numbers, strict=True) if k is None]
        if new:
            self._add_pair_names(new)
            numbers = [number(t) for t in names]
        codes = np.array(numbers, dtype=np.int64)[to_numpy(encoded.indices)]
        head, tail = codes[: len(rows)], codes[len(rows) :]
        keys, matches = self._pair_keys, self._pair_matches
        # nor may the parts' keys joined be a name (the whole, normalised)
        key_a, key_b = keys.take(ints(head)), keys.take(ints(tail))
        has_a = to_numpy(pc.binary_length(key_a)) > 0
        has_b = to_numpy(pc.binary_length(key_b)) > 0
        joined = pc.if_else(
            bools(has_a & has_b),
            pc.binary_join_element_wise(key_a, key_b, space),
            pc.if_else(bools(has_a), key_a, key_b),
        )
        keep &= ~to_numpy(pc.is_in(joined, value_set=self._norm_keys))
        matched = self._pair_matched
        keep &= matched[head] & matched[tail]
        out = np.zeros(n, dtype=bool)
        out[rows[keep]] = True
        chosen = ints(np.flatnonzero(keep))
        return PairMatches(
            out, head[keep], tail[keep], matches, heads.take(chosen), tails.take(chosen)
        )

    def _add_pair_names(self, names: Sequence[str]) -> None:
        """Number new names of "name, name" cells; match them and keep their keys."""
        import numpy as np
        import pyarrow as pa

        from derm_onto.arrays import strings

        start = len(self._pair_matches)
        found = [self._cache.get(t) or self.match(t) for t in names]
        self._pair_matches += found
        self._pair_keys = pa.concat_arrays(
            [self._pair_keys, strings([self._key(t) for t in names])]
        )
        flags = np.array([bool(m.id) for m in found], dtype=bool)
        self._pair_matched = np.concatenate([self._pair_matched, flags])
        self._pair_number.update(zip(names, range(start, start + len(names)), strict=True))

    def _may_match(self, text: str, parts: Sequence[str]) -> bool:
        """False when ``text`` (the comma-separated ``parts``) surely has no strict match.

        For plain ASCII without apostrophes or brackets, normalising the run equals joining
        its parts' (cached) keys, so the run costs a few lookups instead of a normalisation.
        """
        if not text.isascii() or not _UNSAFE.isdisjoint(text):
            return True
        folded = fold(text)
        if folded in self.sentinels or folded in self._raw:
            return True
        return " ".join(k for k in map(self._key, parts) if k) in self._norm

    def _split_commas(self, parts: Sequence[str], *, whole_tried: bool) -> list[Match]:
        out: list[Match] = []
        start = 0
        while start < len(parts):
            for end in range(len(parts), start, -1):  # the longest run that matches wins
                if end == start + 1:
                    found = self.match(parts[start])
                else:
                    if whole_tried and start == 0 and end == len(parts):
                        continue  # the caller found no strict match for the whole
                    run = parts[start:end]
                    text = ", ".join(run)
                    if not self._may_match(text, run):
                        continue
                    found = self.match_strict(text)
                if found.matched or end == start + 1:
                    out.append(found)
                    start = end
                    break
        return out

    # -- class names that stand for a set -------------------------------------------------
    def resolve_class(self, text: str) -> Match:
        """Match a dataset class name, which may stand for a set of entries.

        A name that matches as a whole (:meth:`match`) is returned as is. Otherwise it is
        read as a compound name (:func:`derm_onto.compound.split_compound`): each named
        member, split further into known names where it has no separator ("Urticaria
        Hives"; a lone word may stand for the one entry whose name starts with it,
        "Molluscum"), plus the group each "other Y" points to. When every part resolves, the
        result has method ``compound`` and the ids in :attr:`Match.members` (``id`` too
        when they are one entry); else the whole name's own (unmatched) result.

        >>> from derm_onto.jsonio import load
        >>> from derm_onto.resources import bundled_ontology_path
        >>> matcher = Matcher(load(bundled_ontology_path()))
        >>> found = matcher.resolve_class("Acne and Rosacea Photos")
        >>> found.method, [matcher.label_of(i) for i in found.ids]
        ('compound', ['acne', 'rosacea'])
        >>> [matcher.label_of(i) for i in matcher.resolve_class("Urticaria Hives").ids]
        ['urticaria']
        """
        from derm_onto.compound import names_inclusions, split_compound

        whole = self.match(text)
        if whole.method in ("sentinel", "empty", "obsolete"):
            return whole
        if whole.matched and not names_inclusions(text):
            return whole

        name = split_compound(text)
        ids: list[str] = []
        scores: list[float] = []
        said: list[str] = []
        for number, member in enumerate(name.members):
            found = self._resolve_member(member)
            later = name.members[number + 1 :]
            if not found and later and " " in later[0]:
                # "seborrheic or actinic keratosis": the head is shared with the next name
                found = self._resolve_member(f"{member} {later[0].split()[-1]}")
            if not found:
                return whole
            for m in found:
                ids.append(m.id)
                scores.append(m.score)
                said.append(f"{m.input!r} -> {m.id}")
        for group in name.groups:
            hit = self._resolve_group(group)
            if hit is None:
                return whole
            ids.append(hit.id)
            scores.append(hit.score)
            said.append(f"other {group!r} -> {hit.id} ({hit.input!r})")
        members = tuple(dict.fromkeys(ids))
        if not members:
            return whole
        one = members[0] if len(members) == 1 else ""
        return Match(
            text,
            one,
            " | ".join(self._labels[i] for i in members),
            "compound",
            round(min(scores) * 0.9, 2),
            members=members,
            note="; ".join(said),
        )

    def _resolve_member(self, phrase: str) -> list[Match]:
        """``phrase`` as one name, else as the fewest known names its words split into."""
        found = self.match(phrase)
        if found.matched:
            return [found]
        from derm_onto.compound import is_generic

        words = phrase.split()
        if len(words) == 1:
            one = self._by_first_word(phrase)
            return [one] if one is not None else []
        if len(words) > 16:
            return []
        # best[i]: the fewest names covering words[:i] (generic words may be skipped)
        best: list[list[Match] | None] = [[]] + [None] * len(words)
        for end in range(1, len(words) + 1):
            for start in range(end):
                before = best[start]
                if before is None:
                    continue
                piece = " ".join(words[start:end])
                if is_generic(piece):
                    option = before
                else:
                    m = self.match_strict(piece)
                    if not m.matched and end == start + 1:
                        m = self._by_first_word(piece) or m
                    if not m.matched:
                        continue
                    option = [*before, m]
                current = best[end]
                if current is None or len(option) < len(current):
                    best[end] = option
        return best[-1] or []

    def _by_first_word(self, word: str) -> Match | None:
        """The one entry some name of which starts with ``word`` ("molluscum" ->
        molluscum contagiosum), or None when none or several do."""
        if self._first_words is None:
            self._first_words = {}
            for key, hits in self._norm.items():
                head, _, rest = key.partition(" ")
                if rest:
                    self._first_words.setdefault(head, set()).update(self._live(hits))
        key = self._key(word)
        ids = self._first_words.get(key, set())
        if len(ids) != 1 or " " in key or not key:
            return None
        (term_id,) = ids
        note = f"the only entry with a name starting {word!r}"
        return Match(word, term_id, self._labels[term_id], "prefix", 0.7, note=note)

    def _resolve_group(self, group: str) -> Match | None:
        """The entry "other ``group``" points to: as written, then without its generic head
        word, then with another head ("viral infections" -> "viral"; "benign tumors" ->
        "benign lesion"); each exactly or normalised before any looser match."""
        from derm_onto.compound import GENERIC, SWAPS

        tries = [group]
        *rest, head = group.split()
        if rest and normalise(head) in GENERIC:
            tries += [" ".join(rest)] + [" ".join([*rest, g]) for g in SWAPS]
        for strict in (True, False):  # a variant as written beats a close spelling
            for text in tries:
                found = self.match_strict(text) if strict else self.match(text)
                if found.matched:
                    return found
        return None

    def label_of(self, term_id: str) -> str:
        """The label of an indexed id."""
        return self._labels[term_id]


def _replacements(entries: Iterable[Term]) -> dict[str, str | None]:
    """Obsolete id -> the live entry that replaces it (following chains), or None."""
    obsolete = {t.id: t for t in entries if t.obsolete}
    live = {t.id for t in entries if not t.obsolete}
    out: dict[str, str | None] = {}
    for term_id, term in obsolete.items():
        target, seen = term.replaced_by, {term_id}
        while target in obsolete and target not in seen:
            seen.add(target)
            target = obsolete[target].replaced_by
        out[term_id] = target if target in live else None
    return out


def matcher_for(ontology: Ontology, kind: Kind = "conditions") -> Matcher:
    """The :class:`Matcher` of one kind of ``ontology``, built on first use and kept with
    the (immutable) ontology, as its cached properties are.

    >>> from derm_onto.jsonio import load
    >>> from derm_onto.resources import bundled_ontology_path
    >>> onto = load(bundled_ontology_path())
    >>> matcher_for(onto) is matcher_for(onto, "conditions")
    True
    """
    matchers: dict[str, Matcher] = ontology.__dict__.setdefault("_matchers", {})
    found = matchers.get(kind)
    if found is None:
        found = matchers[kind] = Matcher(ontology, kind)
    return found


def resolve_term(ontology: Ontology, text: str, kind: Kind = "conditions") -> str:
    """The id a user means by ``text``: an id, a label, a synonym or a released name.

    An obsolete id or name gives the id that replaces it. Raises
    :class:`~derm_onto.errors.UnknownTermError` naming the candidates when the text is
    unknown, ambiguous, or obsolete with nothing to replace it.

    >>> from derm_onto.jsonio import load
    >>> from derm_onto.resources import bundled_ontology_path
    >>> onto = load(bundled_ontology_path())
    >>> onto.term(resolve_term(onto, "BCC")).label
    'basal cell carcinoma'
    """
    from derm_onto.errors import UnknownTermError

    matcher = matcher_for(ontology, kind)
    if text in ontology and ontology.kind_of(text) == kind:
        if text not in matcher._replacement:
            return text
        new = matcher._replacement[text]
        if new is not None:
            return new
        found = Match(text, method="obsolete", candidates=matcher._consider[text])
    else:
        found = matcher.match(text)
    if found.matched:
        return found.id
    hint = ""
    if found.candidates:
        names = ", ".join(f"{c} ({ontology.term(c).label!r})" for c in found.candidates)
        lead = {"ambiguous": "candidates", "obsolete": "consider"}.get(found.method)
        hint = f"; {lead or 'did you mean'}: {names}"
    what = {"ambiguous": "ambiguous", "obsolete": "obsolete"}.get(found.method, "unknown")
    raise UnknownTermError(f"{what} term {text!r}{hint}")


def resolve_class(ontology: Ontology, text: str, kind: Kind = "conditions") -> tuple[str, ...]:
    """The ids a dataset class name stands for: one for a plain name, several for a
    compound one ("Acne and Rosacea Photos"); :meth:`Matcher.resolve_class` gives the
    method and a note too. The ontology's matcher is built once (:func:`matcher_for`).

    Raises :class:`~derm_onto.errors.UnknownTermError` when the name resolves to nothing.

    >>> from derm_onto.jsonio import load
    >>> from derm_onto.resources import bundled_ontology_path
    >>> onto = load(bundled_ontology_path())
    >>> [onto.term(i).label for i in resolve_class(onto, "Psoriasis / lichen planus pictures")]
    ['psoriasis', 'lichen planus']
    """
    from derm_onto.errors import UnknownTermError

    found = matcher_for(ontology, kind).resolve_class(text)
    if not found.ids:
        hint = f"; did you mean: {', '.join(found.candidates)}" if found.candidates else ""
        raise UnknownTermError(f"class {text!r} resolves to no {kind[:-1]}{hint}")
    return found.ids


def match_all_kinds(matchers: Mapping[Kind, Matcher], cell: str) -> tuple[Kind | None, list[Match]]:
    """Match ``cell`` with each kind's matcher; the kind whose matches are best wins.

    Best: the most names matched, then the highest total score; ties go to the kind listed
    first in :data:`~derm_onto.model.KINDS` (conditions, concepts, findings). Returns
    ``(None, matches of the first kind)`` when no kind matches anything.

    >>> from derm_onto.jsonio import load
    >>> from derm_onto.resources import bundled_ontology_path
    >>> onto = load(bundled_ontology_path())
    >>> kind, found = match_all_kinds({k: Matcher(onto, k) for k in KINDS}, "papule")
    >>> kind, found[0].label
    ('concepts', 'papule')
    """
    ranked: list[tuple[int, float, int, Kind, list[Match]]] = []
    for order, kind in enumerate(k for k in KINDS if k in matchers):
        found = matchers[kind].match_cell(cell)
        matched = [m for m in found if m.matched]
        ranked.append((len(matched), sum(m.score for m in matched), -order, kind, found))
    if not ranked:
        raise ValueError("no matchers given")
    best = max(ranked, key=lambda r: r[:3])
    if best[0] == 0:
        first = min(ranked, key=lambda r: -r[2])
        return None, first[4]
    return best[3], best[4]
