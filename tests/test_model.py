from __future__ import annotations

import pytest

from derm_onto.errors import UnknownTermError
from derm_onto.model import Concept, Condition, Finding

from . import ids


def test_lookup_by_id_and_kind(tiny) -> None:
    assert tiny.term(ids.MELANOMA).label == "melanoma"
    assert isinstance(tiny.term(ids.PAPULE), Concept)
    assert isinstance(tiny.term(ids.ITCH), Finding)
    assert isinstance(tiny.condition(ids.NEVUS), Condition)
    assert tiny.kind_of(ids.FACE) == "findings"
    assert ids.BCC in tiny and "TINY:404" not in tiny


def test_unknown_term_is_a_key_error_with_a_plain_message(tiny) -> None:
    with pytest.raises(KeyError) as info:
        tiny.term("TINY:404")
    assert isinstance(info.value, UnknownTermError)
    assert str(info.value) == "unknown term id 'TINY:404'"
    with pytest.raises(UnknownTermError, match="not a condition"):
        tiny.condition(ids.PAPULE)


def test_names_are_label_then_synonyms(tiny) -> None:
    assert tiny.term(ids.NEVUS).names == ("melanocytic nevus", "mole", "nevus")


def test_expand_and_contract(tiny) -> None:
    iri = tiny.expand(ids.MELANOMA)
    assert iri == "https://example.org/tiny/TINY_0000011"
    assert tiny.contract(iri) == ids.MELANOMA
    assert tiny.contract("http://purl.obolibrary.org/obo/HP_0000989") == "HP:0000989"
    assert tiny.contract("https://elsewhere.org/x") is None
    with pytest.raises(UnknownTermError, match="not declared"):
        tiny.expand("NOPE:1")


def test_model_is_frozen(tiny) -> None:
    with pytest.raises(AttributeError):
        tiny.term(ids.MELANOMA).label = "x"  # type: ignore[misc]
