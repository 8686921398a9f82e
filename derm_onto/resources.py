"""Where the bundled data lives: ``ontology/``, ``schemas/`` and ``queries/``.

In a wheel they are shipped inside the package (``derm_onto/_data/...``) and found with
:mod:`importlib.resources`; in a source checkout (an editable install or the tests) they are
the top-level folders of the repository.

>>> data_dir("schemas").joinpath("ontology.schema.json").is_file()
True
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

Folder = Literal["ontology", "schemas", "queries", "datasets"]

#: The bundled ontology ``derm-onto`` commands use when no path is given.
DEFAULT_ONTOLOGY = "derm1m.json"


def data_dir(folder: Folder) -> Traversable:
    """The folder of bundled data files called ``folder``."""
    here = Path(__file__).resolve().parent
    installed = here / "_data" / folder  # a wheel unpacked on disk: no importlib.resources
    if installed.is_dir():
        return installed
    checkout = here.parent / folder
    if checkout.is_dir() and (here.parent / "pyproject.toml").is_file():
        return checkout
    from importlib import resources  # a zipped install

    return resources.files("derm_onto").joinpath("_data", folder)


#: The curation file that, applied to Derm1M's released tree, builds DEFAULT_ONTOLOGY.
DERM1M_CURATION = "derm1m.curation.json"


def bundled_ontology_path(name: str = DEFAULT_ONTOLOGY) -> Path:
    """A filesystem path to a bundled ontology file (the default one unless named)."""
    return Path(str(data_dir("ontology").joinpath(name)))


def bundled_ontologies() -> list[Path]:
    """Every bundled ontology file (curation and evidence files are not ontologies), sorted
    by name."""
    folder = data_dir("ontology")
    return sorted(
        Path(str(entry))
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
        and not entry.name.endswith((".curation.json", ".associations.json"))
    )


def schema_path() -> Path:
    """The path of the ontology JSON Schema."""
    return Path(str(data_dir("schemas").joinpath("ontology.schema.json")))
