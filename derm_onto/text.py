"""Text normalisers, in one place: the keys names are compared and matched by.

* :func:`normalise_label`: case folded, white space collapsed (label uniqueness in
  ``validate``);
* :func:`fold`: that, with accents removed (the matcher's exact level);
* :func:`normalise`: the loose key: possessives, punctuation, British spellings and plurals
  folded too (the matcher's normalised level).

>>> normalise_label(" Café  au Lait"), fold(" Café  au Lait"), normalise("Café-au-laits")
('café au lait', 'cafe au lait', 'cafe au lait')
"""

from __future__ import annotations

import re
import unicodedata

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
    """Case, spacing and accents folded; nothing else.

    >>> fold("  Café   au Lait ")
    'cafe au lait'
    """
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.casefold().split())


def normalise(text: str, *, drop_qualifiers: bool = False) -> str:
    """The loose key of a name: accents, possessives, punctuation, British spelling and
    plurals folded.

    >>> normalise("Kaposi's Sarcoma")
    'kaposi sarcoma'
    >>> normalise("Haemangiomas of the skin")
    'hemangioma of the skin'
    >>> normalise("melanoma (in situ)", drop_qualifiers=True)
    'melanoma'
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


def bag(key: str) -> str:
    return " ".join(sorted(key.split()))


def normalise_label(text: str) -> str:
    """The key labels are compared by: case-folded, white space collapsed.

    >>> normalise_label("  Acne   Vulgaris ")
    'acne vulgaris'
    """
    return " ".join(text.split()).casefold()
