"""Declarative adapters: the shape of each annotated table, as data.

An adapter names a table's label column and its feature columns; it holds no dataset
vocabulary. Every column name or cell value is resolved to an ontology id by the
:class:`~derm_onto.matching.Matcher` (``concepts`` or ``findings``), and only what the
matcher finds exactly, by synonym or after normalisation is used: a fuzzy, ambiguous or
unmatched name is reported, never guessed.

Feature encodings:

* ``binary``: the column is one feature (its name is matched); a cell in ``true_values``
  shows it, a cell in ``false_values`` does not, anything else is "not annotated";
* ``value``: the cell value names the feature; ``names`` are templates (``{value}``,
  ``{column}``) tried in order, the first accepted match wins; ``absent_values`` mean
  "annotated, no feature";
* ``list``: the cell is a comma list of names (Derm1M's ``skin_concept``), split by
  :meth:`Matcher.match_cell`.

A row counts for a column only when the column is annotated in that row (not empty, not a
sentinel such as Derm1M's ``No visual concepts``), so unannotated rows never dilute rates.

>>> adapter = detect(["ImageID", "Vesicle", "Papule", "Do not consider this image"])
>>> adapter.name
'skincon'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from derm_onto.errors import DermOntoError

Encoding = Literal["binary", "value", "list"]
FeatureKind = Literal["concepts", "findings"]

#: Matcher methods whose result is used; anything looser is reported as unmapped.
ACCEPTED_METHODS = frozenset({"exact", "synonym", "normalised", "word_order"})


@dataclass(frozen=True)
class FeatureColumn:
    """One feature column (or, with ``column="*"``, every column not listed elsewhere)."""

    column: str
    kind: FeatureKind
    encoding: Encoding
    names: tuple[str, ...] = ("{value}",)
    true_values: tuple[str, ...] = ("1", "true")
    false_values: tuple[str, ...] = ("0", "false")
    absent_values: tuple[str, ...] = ("absent",)


@dataclass(frozen=True)
class Join:
    """Labels come from another source's table: ``key`` (minus ``strip_suffix``) equals the
    other table's ``other_key``."""

    source: str
    key: str
    other_key: str
    strip_suffix: str = ""


@dataclass(frozen=True)
class SourceAdapter:
    """The shape of one dataset's table."""

    name: str
    dataset: str
    version: str
    signature: tuple[str, ...]
    label_column: str
    features: tuple[FeatureColumn, ...] = ()
    join: Join | None = None
    skip_columns: tuple[str, ...] = ()
    exclude_column: str = ""  # rows whose value here is true are left out
    citation: str = ""

    @property
    def mined(self) -> bool:
        """True when the table has features (a label-only table only serves joins)."""
        return bool(self.features)


def _binary(column: str, kind: FeatureKind = "concepts") -> FeatureColumn:
    return FeatureColumn(column, kind, "binary", names=("{column}",))


SOURCES: Mapping[str, SourceAdapter] = {
    a.name: a
    for a in (
        SourceAdapter(
            name="skincon",
            dataset="SkinCon",
            version="2022 (Fitzpatrick17k annotations)",
            signature=("ImageID", "Vesicle", "Do not consider this image"),
            label_column="label",
            features=(FeatureColumn("*", "concepts", "binary", names=("{column}",)),),
            join=Join("fitzpatrick17k", key="ImageID", other_key="md5hash", strip_suffix=".jpg"),
            skip_columns=("", "ImageID"),
            exclude_column="Do not consider this image",
            citation="Daneshjou et al., SkinCon, NeurIPS 2022",
        ),
        SourceAdapter(
            name="fitzpatrick17k",
            dataset="Fitzpatrick17k",
            version="2021",
            signature=("md5hash", "fitzpatrick_scale", "label"),
            label_column="label",
            citation="Groh et al., CVPR Workshops 2021",
        ),
        SourceAdapter(
            name="derm1m",
            dataset="Derm1M",
            version="v2",
            signature=("disease_label", "skin_concept"),
            label_column="disease_label",
            features=(
                FeatureColumn("skin_concept", "concepts", "list"),
                FeatureColumn("body_location", "findings", "list"),
                FeatureColumn("symptoms", "findings", "list"),
            ),
            citation="Yan et al., Derm1M, ICCV 2025",
        ),
        SourceAdapter(
            name="derm7pt",
            dataset="derm7pt",
            version="release_v0",
            signature=("diagnosis", "seven_point_score", "pigment_network"),
            label_column="diagnosis",
            features=(
                FeatureColumn(
                    "pigment_network", "concepts", "value", ("{value} pigment network", "{column}")
                ),
                FeatureColumn("streaks", "concepts", "value", ("{value} streaks", "{column}")),
                FeatureColumn("pigmentation", "concepts", "value", ("{value} blotches",)),
                FeatureColumn("regression_structures", "concepts", "value", ("{column}",)),
                FeatureColumn(
                    "dots_and_globules",
                    "concepts",
                    "value",
                    ("{value} dots and globules", "{column}"),
                ),
                FeatureColumn("blue_whitish_veil", "concepts", "value", ("{column}",)),
                FeatureColumn(
                    "vascular_structures", "concepts", "value", ("{value} vessels", "{column}")
                ),
                FeatureColumn("elevation", "concepts", "value", ("{value}",)),
                FeatureColumn("location", "findings", "value", ("{value}",)),
            ),
            citation="Kawahara et al., IEEE JBHI 2019",
        ),
        SourceAdapter(
            name="ham10000",
            dataset="HAM10000",
            version="2018",
            signature=("lesion_id", "image_id", "dx", "localization"),
            label_column="dx",
            features=(FeatureColumn("localization", "findings", "value"),),
            citation="Tschandl et al., Sci Data 2018",
        ),
        SourceAdapter(
            name="pad_ufes_20",
            dataset="PAD-UFES-20",
            version="2020",
            signature=("patient_id", "diagnostic", "region"),
            label_column="diagnostic",
            features=(
                FeatureColumn("region", "findings", "value"),
                *(
                    _binary(c, "findings")
                    for c in ("itch", "grew", "hurt", "changed", "bleed", "elevation")
                ),
            ),
            citation="Pacheco et al., Data in Brief 2020",
        ),
    )
}


@dataclass
class TableSpec:
    """A table to mine: its path and the adapter that reads it."""

    path: str
    adapter: SourceAdapter
    columns: list[str] = field(default_factory=list)


def detect(
    columns: Sequence[str],
    source: str = "<table>",
    extra: Mapping[str, SourceAdapter] | None = None,
) -> SourceAdapter:
    """The adapter whose signature columns the header holds (the most specific one;
    ``extra`` adapters replace built-in ones of the same name)."""
    header = set(columns)
    known = {**SOURCES, **(extra or {})}
    fits = [a for a in known.values() if set(a.signature) <= header]
    if not fits:
        names = ", ".join(sorted(known))
        raise DermOntoError(
            f"{source}: no adapter recognises this table's columns; name one as SOURCE=PATH "
            f"(sources: {names})"
        )
    fits.sort(key=lambda a: (-len(a.signature), a.name))
    if len(fits) > 1 and len(fits[0].signature) == len(fits[1].signature):
        raise DermOntoError(
            f"{source}: columns fit several adapters ({fits[0].name}, {fits[1].name}); "
            "name one as SOURCE=PATH"
        )
    return fits[0]


def adapter(name: str, extra: Mapping[str, SourceAdapter] | None = None) -> SourceAdapter:
    """The adapter called ``name`` (among ``extra`` adapters first)."""
    if extra and name in extra:
        return extra[name]
    try:
        return SOURCES[name]
    except KeyError:
        known = ", ".join(sorted(SOURCES))
        raise DermOntoError(f"unknown source {name!r} (sources: {known})") from None


def feature_columns(spec: SourceAdapter, columns: Sequence[str]) -> list[FeatureColumn]:
    """The adapter's feature columns for this header (``*`` expanded to the rest)."""
    listed = {f.column for f in spec.features if f.column != "*"}
    skip = {*spec.skip_columns, spec.exclude_column, spec.label_column, *listed}
    if spec.join is not None:
        skip.add(spec.join.key)
    out: list[FeatureColumn] = []
    for feature in spec.features:
        if feature.column != "*":
            out.append(feature)
            continue
        for column in columns:
            if column not in skip:
                out.append(
                    FeatureColumn(
                        column,
                        feature.kind,
                        feature.encoding,
                        feature.names,
                        feature.true_values,
                        feature.false_values,
                        feature.absent_values,
                    )
                )
    return out


def adapter_from_dict(data: Any, source: str = "<adapter>") -> SourceAdapter:
    """An adapter described in JSON (the same fields as :class:`SourceAdapter`).

    >>> a = adapter_from_dict({"name": "mine", "dataset": "My set", "version": "1",
    ...     "signature": ["dx", "site"], "label_column": "dx",
    ...     "features": [{"column": "site", "kind": "findings", "encoding": "value"}]})
    >>> a.features[0].names
    ('{value}',)
    """
    import dataclasses

    def fail(where: str, message: str) -> DermOntoError:
        return DermOntoError(f"{source}:/{where}: {message}")

    if not isinstance(data, Mapping):
        raise fail("", "an adapter is a JSON object")
    fields = {f.name for f in dataclasses.fields(SourceAdapter)}
    unknown = sorted(set(data) - fields)
    if unknown:
        raise fail(unknown[0], f"unknown field (fields: {', '.join(sorted(fields))})")
    for key in ("name", "dataset", "version", "signature", "label_column"):
        if key not in data:
            raise fail(key, "required")
    values: dict[str, Any] = dict(data)
    feature_fields = {f.name for f in dataclasses.fields(FeatureColumn)}
    features: list[FeatureColumn] = []
    items: list[Any] = list(data.get("features") or [])
    for i, item in enumerate(items):
        if not isinstance(item, Mapping) or not {"column", "kind", "encoding"} <= set(item):
            raise fail(f"features/{i}", "needs column, kind and encoding")
        extra = sorted(set(item) - feature_fields)
        if extra:
            raise fail(f"features/{i}/{extra[0]}", "unknown field")
        if item["kind"] not in ("concepts", "findings"):
            raise fail(f"features/{i}/kind", "concepts or findings")
        if item["encoding"] not in ("binary", "value", "list"):
            raise fail(f"features/{i}/encoding", "binary, value or list")
        fields_: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in item.items()
        }
        features.append(FeatureColumn(**fields_))
    values["features"] = tuple(features)
    if isinstance(data.get("join"), Mapping):
        values["join"] = Join(**data["join"])
    for key in ("signature", "skip_columns"):
        if isinstance(values.get(key), list):
            values[key] = tuple(values[key])
    return SourceAdapter(**values)


def load_adapters(path: str) -> list[SourceAdapter]:
    """Adapters from a JSON file holding one adapter object or a list of them."""
    from derm_onto.jsonio import read_json

    data = read_json(path)
    items = data if isinstance(data, list) else [data]
    return [adapter_from_dict(item, f"{path}") for item in items]
