"""Pictures of the condition hierarchy: graphviz SVG/PNG, or a self-contained HTML tree.

The picture shows the subtree under one or more start terms (default: every top-level
category), ``depth`` levels deep counting the start as level 1 (as ``derm-onto tree
--depth`` does); obsolete terms are left out. Graphviz draws the DAG as it is (a node with two
parents appears once, with two edges); the HTML page is a collapsible tree (``<details>``)
in which such a node appears under each parent, with a search box that filters the tree.
The page needs no network: its style and script are inline.

>>> from derm_onto.jsonio import load
>>> from derm_onto.resources import bundled_ontology_path
>>> onto = load(bundled_ontology_path())
>>> part = subtree(onto, None, depth=1)
>>> len(part.edges), len(part.nodes) == len(part.starts)
(0, True)
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from derm_onto.errors import RenderError
from derm_onto.model import Kind, Ontology

Format = Literal["svg", "png", "html"]
FORMATS: tuple[Format, ...] = ("svg", "png", "html")


@dataclass(frozen=True)
class Subtree:
    """The part of the hierarchy to draw: start ids, node ids (in breadth-first order, each
    with its level, 1 for a start) and ``parent -> child`` edges between them."""

    starts: tuple[str, ...]
    nodes: dict[str, int]
    edges: tuple[tuple[str, str], ...]

    def children(self, node: str) -> list[str]:
        """The drawn children of a node, in drawing order."""
        return [c for p, c in self.edges if p == node]


def subtree(
    ontology: Ontology,
    starts: Sequence[str] | None,
    depth: int | None = None,
    kind: Kind = "conditions",
) -> Subtree:
    """The nodes within ``depth`` levels under ``starts`` (all roots when None), with the
    edges among them; children ordered by label (ignoring case) then id. ``kind`` picks the
    hierarchy (conditions, or the concept vocabulary's own ``parents``).

    >>> from derm_onto.model import Condition, Ontology
    >>> onto = Ontology(id="d", title="D", base_iri="https://example.org/d/", prefixes={},
    ...     conditions=(Condition(id="D:1", label="skin"),
    ...                 Condition(id="D:2", label="acne", parents=("D:1",)),
    ...                 Condition(id="D:3", label="comedo", parents=("D:2",))))
    >>> subtree(onto, ["D:1"], depth=2).nodes
    {'D:1': 1, 'D:2': 2}
    """
    from derm_onto import hierarchy

    graph = hierarchy.build_graph(ontology, kind)
    graph.remove_nodes_from([t.id for t in ontology.entries(kind) if t.obsolete])
    for start in starts or ():
        if start not in graph:
            raise RenderError(f"{start!r} is not one of the {kind} (or is obsolete)")

    def order(ids: list[str]) -> list[str]:
        return sorted(ids, key=lambda n: (graph.nodes[n]["label"].casefold(), n))

    tops = tuple(dict.fromkeys(starts)) if starts else tuple(order(hierarchy.roots(graph)))
    levels = dict.fromkeys(tops, 1)
    edges: list[tuple[str, str]] = []
    queue = list(tops)
    for node in queue:  # breadth first: the first visit is at the smallest level
        if depth is not None and levels[node] >= depth:
            continue
        for child in order(list(graph.successors(node))):
            edges.append((node, child))
            if child not in levels:
                levels[child] = levels[node] + 1
                queue.append(child)
    return Subtree(tops, levels, tuple(dict.fromkeys(edges)))


def to_dot(ontology: Ontology, part: Subtree) -> str:
    """The subtree as graphviz DOT source (left to right, one box per term)."""
    import graphviz

    dot = graphviz.Digraph(
        name=ontology.id,
        graph_attr={"rankdir": "LR", "fontname": "Helvetica", "tooltip": ontology.title},
        node_attr={
            "shape": "box",
            "style": "rounded,filled",
            "fontname": "Helvetica",
            "fontsize": "11",
        },
        edge_attr={"color": "#888888", "arrowhead": "none"},
    )
    palette = ("#dbe9f6", "#e3f1df", "#fdf0d5", "#f6dde4", "#ece3f6", "#eeeeee")
    # graphviz reads "A:B" as node A, port B: name nodes by position, keep the id as the
    # SVG element id and in the label
    names = {node: f"n{i}" for i, node in enumerate(part.nodes)}
    for node, level in part.nodes.items():
        term = ontology.term(node)
        dot.node(
            names[node],
            id=node,
            label=f"{term.label}\n{node}",
            fillcolor=palette[min(level, len(palette)) - 1],
            tooltip=term.definition or term.label,
        )
    for parent, child in part.edges:
        dot.edge(names[parent], names[child])
    return str(dot.source)


def render_graphviz(ontology: Ontology, part: Subtree, fmt: Literal["svg", "png"]) -> bytes:
    """The subtree drawn by graphviz's ``dot`` as SVG or PNG bytes."""
    import graphviz

    source = graphviz.Source(to_dot(ontology, part))
    try:
        data: bytes = source.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise RenderError(
            "graphviz's 'dot' program is not installed (Debian: apt-get install graphviz); "
            "or write an .html page, which needs no graphviz"
        ) from None
    except graphviz.CalledProcessError as exc:
        raise RenderError(f"graphviz failed: {exc}") from None
    return data


_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:1.5em;
color:#1d2330;background:#fff}
h1{font-size:1.3em;margin:0 0 .3em}
.bar{position:sticky;top:0;background:#fff;padding:.5em 0;border-bottom:1px solid #ddd}
input{font:inherit;padding:.3em .5em;width:22em}
button{font:inherit;margin-left:.3em}
ul{list-style:none;margin:0;padding-left:1.2em;border-left:1px dotted #bbb}
ul.root{border:0;padding:0}
summary{cursor:pointer}
.id{color:#6b7280;font-size:.85em;margin-left:.4em}
.leaf{padding-left:1em}
li[hidden]{display:none}
mark{background:#ffe58a}
#count{color:#6b7280;margin-left:.6em}
.via{color:#8a5a00;font-size:.85em;margin-left:.4em}
"""

_SCRIPT = """
(function(){
  var box=document.getElementById('q'), count=document.getElementById('count');
  var items=Array.prototype.slice.call(document.querySelectorAll('li[data-names]'));
  function part(li, cls){
    return li.querySelector(':scope > details > summary .'+cls+', :scope > .'+cls);}
  function filter(){
    var q=box.value.trim().toLowerCase(), hits=0;
    items.slice().reverse().forEach(function(li){
      var names=li.getAttribute('data-names').split('|');
      var found=names.filter(function(n){return n.indexOf(q)>=0;});
      var own=q==='' || found.length>0 || li.getAttribute('data-id').toLowerCase()===q;
      var kid=li.querySelector(':scope > details > ul > li:not([hidden])')!==null;
      li.hidden=!(own||kid);
      var name=part(li,'name'), text=name.textContent, via=part(li,'via');
      name.textContent=text; via.textContent='';
      if(q!=='' && own){
        hits++;
        var at=text.toLowerCase().indexOf(q);
        if(at>=0){
          var m=document.createElement('mark'); m.textContent=text.slice(at,at+q.length);
          name.textContent=''; name.append(text.slice(0,at), m, text.slice(at+q.length));
        } else if(found.length){ via.textContent='\\u2248 '+found[0]; }
      }
      var d=li.querySelector(':scope > details'); if(d && q!==''){d.open=kid;}
    });
    count.textContent=q===''?'':hits+' matching';
  }
  box.addEventListener('input', filter);
  document.getElementById('open').onclick=function(){
    document.querySelectorAll('details').forEach(function(d){d.open=true;});};
  document.getElementById('close').onclick=function(){
    document.querySelectorAll('details').forEach(function(d){d.open=false;});};
  var m=/^#q=(.*)$/.exec(location.hash);
  if(m){box.value=decodeURIComponent(m[1]); filter();}
})();
"""


def render_html(ontology: Ontology, part: Subtree, open_levels: int = 1) -> bytes:
    """A self-contained HTML page with a collapsible, searchable tree of the subtree.

    Levels up to ``open_levels`` start expanded. A URL ending in ``#q=TEXT`` opens with
    TEXT searched.

    >>> from derm_onto.model import Condition, Ontology
    >>> onto = Ontology(id="d", title="D", base_iri="https://example.org/d/", prefixes={},
    ...     conditions=(Condition(id="D:1", label="skin <disease>"),))
    >>> page = render_html(onto, subtree(onto, None)).decode()
    >>> "skin &lt;disease&gt;" in page and "http" not in page.split("<body>")[1]
    True
    """
    esc = html.escape
    out: list[str] = []

    def walk(node: str, level: int) -> None:
        term = ontology.term(node)
        names = "|".join(n.lower() for n in term.names)
        attrs = f'data-id="{esc(node)}" data-names="{esc(names)}"'
        title = f' title="{esc(term.definition)}"' if term.definition else ""
        name = f'<span class="name"{title}>{esc(term.label)}</span>'
        ident = f'<span class="id">{esc(node)}</span><span class="via"></span>'
        kids = part.children(node)
        if not kids:
            out.append(f'<li {attrs} class="leaf">{name}{ident}</li>')
            return
        is_open = " open" if level <= open_levels else ""
        out.append(f"<li {attrs}><details{is_open}><summary>{name}{ident}</summary><ul>")
        for kid in kids:
            walk(kid, level + 1)
        out.append("</ul></details></li>")

    for start in part.starts:
        walk(start, 1)
    title = esc(ontology.title or ontology.id)
    version = f" {esc(ontology.version)}" if ontology.version else ""
    page = (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<style>{_STYLE}</style></head><body>\n"
        f"<h1>{title}{version}</h1>\n"
        f'<div class="bar"><input id="q" type="search" placeholder="Search labels, synonyms, ids"'
        ' aria-label="Search">'
        '<button id="open" type="button">Expand all</button>'
        '<button id="close" type="button">Collapse all</button><span id="count"></span></div>\n'
        f'<ul class="root" data-terms="{len(part.nodes)}">' + "\n".join(out) + "</ul>\n"
        f"<script>{_SCRIPT}</script>\n"
        "</body></html>\n"
    )
    return page.encode("utf-8")


def render(
    ontology: Ontology,
    starts: Sequence[str] | None,
    depth: int | None,
    fmt: Format,
    kind: Kind = "conditions",
) -> bytes:
    """The picture of the subtree in ``fmt`` (svg, png or html)."""
    part = subtree(ontology, starts, depth, kind)
    if fmt == "html":
        return render_html(ontology, part)
    return render_graphviz(ontology, part, fmt)


def format_of(path: str) -> Format:
    """The picture format implied by a file name's extension.

    >>> format_of("tree.SVG")
    'svg'
    """
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    if suffix == "htm":
        return "html"
    for fmt in FORMATS:
        if suffix == fmt:
            return fmt
    raise ValueError(f"cannot tell the picture format of {path!r}: use .svg, .png or .html")
