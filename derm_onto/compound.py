"""Read a dataset's compound class name as the names it is made of.

Public datasets name classes as groups: "Acne and Rosacea Photos", "X, Y and Z pictures",
"X / Y", "X (incl. Y)", "Warts Molluscum and other Viral Infections". :func:`split_compound`
drops the noise words of dataset folders ("photos", "pictures", "images of"), splits at
commas, slashes, "&", "and", "or" and brackets, and tells named members apart from the
groups that "other Y" (or "related Y") points to. It only reads text; the matcher
(:meth:`derm_onto.matching.Matcher.resolve_class`) resolves the parts to ids, and splits a
part that names several things without a separator ("Urticaria Hives") into names it knows.

>>> split_compound("Moles, freckles and other pigmented spots photos")
CompoundName(members=('Moles', 'freckles'), groups=('pigmented spots',))
>>> split_compound("Eczema (incl. atopic dermatitis) / psoriasis")
CompoundName(members=('Eczema', 'atopic dermatitis', 'psoriasis'), groups=())
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Words of dataset folder names that say nothing about the class.
NOISE = re.compile(
    r"\b(?:(?:images?|pictures?|photos?|photographs?|pics?)(?:\s+of)?|examples?\s+of)\b",
    re.IGNORECASE,
)
#: Head words of a group name: alone they name nothing, and a group not found as written is
#: tried without its head word, then with another head ("benign tumors" -> "benign",
#: "benign lesion").
GENERIC = (
    "lesion",
    "disease",
    "disorder",
    "condition",
    "infection",
    "neoplasm",
    "tumor",
    "tumour",
    "growth",
    "spot",
    "problem",
    "rash",
    "skin",
)
#: The heads a group's head word may be swapped for (they keep its meaning).
SWAPS = ("lesion", "disease", "disorder", "neoplasm", "tumor", "infection")
_GENERIC_WORDS = frozenset(GENERIC) | frozenset(w + "s" for w in GENERIC) | {"tumours", "tumors"}
_SPLIT = re.compile(r"\s*(?:[,;/&+|]|\b(?:and|or|vs\.?|versus)\b)\s*", re.IGNORECASE)
_BRACKETS = re.compile(r"[(\[]([^()\[\]]*)[)\]]")
_INCLUDING = re.compile(
    r"^(?:incl\.?|including|includes|e\.\s?g\.?|i\.\s?e\.?|such as|esp\.?|especially)\s+",
    re.IGNORECASE,
)
_GROUP = re.compile(r"^(?:other|related|various|miscellaneous|similar)(?:\s+|$)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class CompoundName:
    """The parts of a class name: named ``members``, and ``groups`` ("other Y" -> "Y")."""

    members: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()

    @property
    def parts(self) -> int:
        """How many names the class was split into."""
        return len(self.members) + len(self.groups)


def is_generic(phrase: str) -> bool:
    """True when every word of ``phrase`` is a generic head ("diseases", "skin lesions").

    >>> is_generic("skin diseases"), is_generic("viral infections")
    (True, False)
    """
    words = phrase.casefold().split()
    return bool(words) and all(w in _GENERIC_WORDS for w in words)


def names_inclusions(text: str) -> bool:
    """True when a bracket of ``text`` lists what the class includes ("X (incl. Y)"), so
    the class is more than the name outside the bracket.

    >>> names_inclusions("eczema (incl. atopic dermatitis)"), names_inclusions("BCC (nodular)")
    (True, False)
    """
    return any(_INCLUDING.match(inner.strip()) for inner in _BRACKETS.findall(text))


def split_compound(text: str) -> CompoundName:
    """The members and groups a class name is made of, in order (see the module doc)."""
    text = NOISE.sub(",", text)
    inside = [
        piece
        for inner in _BRACKETS.findall(text)
        for piece in _SPLIT.split(_INCLUDING.sub("", inner.strip()))
    ]
    outside = _SPLIT.split(_BRACKETS.sub(",", text))
    members: list[str] = []
    groups: list[str] = []
    for piece in [*outside[:1], *inside, *outside[1:]]:
        piece = " ".join(piece.split()).strip(" .-:")
        if not piece:
            continue
        group = _GROUP.sub("", piece)
        if group != piece:
            if group and not is_generic(group):
                groups.append(group)
        elif not is_generic(piece):
            members.append(piece)
    return CompoundName(tuple(dict.fromkeys(members)), tuple(dict.fromkeys(groups)))
