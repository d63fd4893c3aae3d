"""The AudioSet ontology: class descriptions, parents, breadcrumbs, roll-up and class search.

``Ontology`` is the whole graph, addressed by node name (AudioSet display names are unique, and
every YAMNet class is one of them). ``Ontology.for_classes(model.classes)`` binds it to a model's
outputs as a ``ClassOntology``: that adds the per-frame roll-up and the class search box.

AudioSet is a DAG, not a tree (``Growling`` sits under Dog, Cat, Roaring cats and Canidae), so
"the" path to a class is a choice. The primary path is the shortest root-to-node path, ties
broken by comparing the names along it alphabetically from the root; it never changes between
runs, so breadcrumbs do not jump around. Roll-up, in contrast, uses every parent: a Growl is
evidence for each of its categories.

Nothing here imports Qt; the presenter view sits on top.
"""

from __future__ import annotations

import json
import logging
import os
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from yamview.core.files import UnreadableFile, read_regular
from yamview.core.limits import MAX_TEXT_BYTES

log = logging.getLogger(__name__)

OFF_MESSAGE = "Ontology off (no descriptions, roll-up or breadcrumbs): {reason}"


class OntologyError(Exception):
    """The ontology file cannot be used; the message says why and what to do, for a person."""


@dataclass(frozen=True)
class Node:
    id: str
    name: str
    description: str
    child_ids: tuple[str, ...]
    restrictions: tuple[str, ...]


def _parse_nodes(data: object, where: str) -> list[Node]:
    """Check the JSON's shape node by node: a wrong file should fail here, not mid-demo."""

    def bad(what: str) -> OntologyError:
        return OntologyError(
            f"{where} is not an AudioSet ontology: {what}. "
            "Replace it with ontology.json from github.com/audioset/ontology."
        )

    if not isinstance(data, list) or not data:
        raise bad(f"expected a non-empty JSON list of nodes, got {type(data).__name__}")
    nodes = []
    for i, raw in enumerate(data):
        if not isinstance(raw, dict):
            raise bad(f"node {i} is a {type(raw).__name__}, not an object")
        for key in ("id", "name"):
            if not isinstance(raw.get(key), str) or not raw[key]:
                raise bad(f"node {i} has no '{key}' string")
        children, restrictions = raw.get("child_ids", []), raw.get("restrictions", [])
        description = raw.get("description", "")
        if not isinstance(children, list) or not all(isinstance(c, str) for c in children):
            raise bad(f"node {raw['name']!r} has a 'child_ids' that is not a list of ids")
        if not isinstance(restrictions, list) or not isinstance(description, str):
            raise bad(f"node {raw['name']!r} has a malformed 'restrictions' or 'description'")
        restrictions = tuple(map(str, restrictions))
        nodes.append(Node(raw["id"], raw["name"], description, tuple(children), restrictions))
    return nodes


class Ontology:
    """The ontology graph by node name. Unknown names raise ``KeyError``."""

    def __init__(self, nodes: Sequence[Node], source: str = "<memory>") -> None:
        self.source = source
        self.nodes = list(nodes)
        by_id: dict[str, Node] = {}
        for n in self.nodes:
            if n.id in by_id:
                raise OntologyError(f"ontology {source}: node id {n.id} appears twice")
            by_id[n.id] = n
        self._by_name: dict[str, Node] = {}
        for n in self.nodes:
            # AudioSet names are unique; should a variant repeat one, the first node wins.
            self._by_name.setdefault(n.name, n)
        self._children: dict[str, list[str]] = {}
        self._parents: dict[str, list[str]] = {n.name: [] for n in self.nodes}
        for n in self.nodes:
            missing = [c for c in n.child_ids if c not in by_id]
            if missing:
                raise OntologyError(
                    f"ontology {source}: node {n.name!r} has unknown child id {missing[0]}"
                )
            kids = list(dict.fromkeys(by_id[c].name for c in n.child_ids))
            self._children[n.name] = kids
            for k in kids:
                self._parents[k].append(n.name)
        self._paths = self._primary_paths()

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Ontology":
        path = Path(path)
        try:
            text = read_regular(path, MAX_TEXT_BYTES, "ontology").decode("utf-8")
        except UnreadableFile as exc:
            if str(exc) == "no such file":
                raise OntologyError(f"ontology file not found: {path}") from None
            if "folder" in str(exc):
                raise OntologyError(f"ontology path is a folder, not ontology.json: {path}") from None
            raise OntologyError(f"cannot read ontology {path}: {exc}") from None
        except UnicodeDecodeError as exc:
            raise OntologyError(f"cannot read ontology {path}: {exc}") from None
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise OntologyError(
                f"ontology file {path} is damaged (invalid JSON: {exc}). "
                "Delete it and fetch ontology.json again."
            ) from None
        return cls(_parse_nodes(data, f"ontology file {path}"), str(path))

    def _primary_paths(self) -> dict[str, tuple[str, ...]]:
        """Root-to-node path per node: shortest, then alphabetical along the path (see module doc).

        Relaxation in topological order (Kahn): the best path to a node is the best parent's path
        plus the node, because appending the same name keeps the (length, names) order.
        """
        pending = {name: len(ps) for name, ps in self._parents.items()}
        queue = deque(name for name, k in pending.items() if k == 0)
        best: dict[str, tuple[str, ...]] = {}
        while queue:
            name = queue.popleft()
            parents = self._parents[name]
            if parents:
                best[name] = min((best[p] for p in parents), key=lambda p: (len(p), p)) + (name,)
            else:
                best[name] = (name,)
            for child in self._children[name]:
                pending[child] -= 1
                if pending[child] == 0:
                    queue.append(child)
        if len(best) != len(self._parents):
            stuck = sorted(set(self._parents) - set(best))[0]
            raise OntologyError(f"ontology {self.source} has a cycle through {stuck!r}")
        return best

    # -- queries by node name ------------------------------------------------------------------
    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __len__(self) -> int:
        return len(self.nodes)

    def node(self, name: str) -> Node:
        return self._by_name[name]

    def description(self, name: str) -> str:
        return self._by_name[name].description

    def parents(self, name: str) -> list[str]:
        """Direct parents, in file order (several for DAG nodes)."""
        return list(self._parents[self._by_name[name].name])

    def children(self, name: str) -> list[str]:
        return list(self._children[self._by_name[name].name])

    def path(self, name: str) -> list[str]:
        """Breadcrumb from a root down to ``name`` (inclusive), along the primary path."""
        return list(self._paths[self._by_name[name].name])

    def ancestors(self, name: str) -> list[str]:
        """Every node above ``name`` through any parent: nearest first, then by name."""
        return self._walk(name, self._parents)

    def descendants(self, name: str) -> list[str]:
        """Every node below ``name`` (excluding it): nearest first, then by name."""
        return self._walk(name, self._children)

    def _walk(self, name: str, edges: dict[str, list[str]]) -> list[str]:
        start = self._by_name[name].name
        depth = {start: 0}
        queue = deque([start])
        while queue:  # breadth-first, so depth is the shortest distance
            cur = queue.popleft()
            for nxt in edges[cur]:
                if nxt not in depth:
                    depth[nxt] = depth[cur] + 1
                    queue.append(nxt)
        del depth[start]
        return sorted(depth, key=lambda n: (depth[n], n))

    def roots(self) -> list[str]:
        return [n.name for n in self.nodes if not self._parents[n.name]]

    def for_classes(self, classes: Sequence[str]) -> "ClassOntology":
        return ClassOntology(self, classes)


class ClassOntology:
    """The ontology bound to a model's class names: lookups, roll-up and search by model class.

    ``unmatched`` lists classes with no node of that name (a custom model may have only those);
    for them ``description`` is "", ``parents`` is [] and ``path`` is just the name.
    """

    def __init__(self, ontology: Ontology, classes: Sequence[str]) -> None:
        self.ontology = ontology
        self.classes = list(classes)
        self.matched = [name in ontology for name in self.classes]
        self.unmatched = [name for name, ok in zip(self.classes, self.matched) if not ok]
        self._index: dict[str, int] = {}
        for i, name in enumerate(self.classes):
            self._index.setdefault(name, i)
        self._build_rollup()
        # Lower-cased once: search runs on every keystroke.
        self._lower_names = [name.lower() for name in self.classes]
        self._lower_desc = [self.description(name).lower() for name in self.classes]

    def _known(self, name: str) -> bool:
        if name in self.ontology:
            return True
        if name in self._index:
            return False
        raise KeyError(name)

    def index(self, name: str) -> int:
        return self._index[name]

    def description(self, name: str) -> str:
        return self.ontology.description(name) if self._known(name) else ""

    def parents(self, name: str) -> list[str]:
        return self.ontology.parents(name) if self._known(name) else []

    def path(self, name: str) -> list[str]:
        return self.ontology.path(name) if self._known(name) else [name]

    def ancestors(self, name: str) -> list[str]:
        return self.ontology.ancestors(name) if self._known(name) else []

    def descendants(self, name: str) -> list[str]:
        return self.ontology.descendants(name) if self._known(name) else []

    # -- roll-up -------------------------------------------------------------------------------
    def _build_rollup(self) -> None:
        """Per category, the model classes at or below it, as one flat index array + offsets.

        ``np.maximum.reduceat`` over ``scores[..., flat]`` then gives every category's max in one
        call (~2,500 gathered values for YAMNet instead of a 632 x 521 mask each frame).
        """
        names: list[str] = []
        flat: list[int] = []
        starts: list[int] = []
        for node in self.ontology.nodes:
            members = [node.name, *self.ontology.descendants(node.name)]
            idx = sorted({self._index[m] for m in members if m in self._index})
            if idx:  # categories with no model class below them cannot be scored
                names.append(node.name)
                starts.append(len(flat))
                flat.extend(idx)
        self.rollup_names: list[str] = names
        self._flat = np.asarray(flat, dtype=np.intp)
        self._starts = np.asarray(starts, dtype=np.intp)

    def rollup(self, scores: np.ndarray) -> tuple[list[str], np.ndarray]:
        """(category names, scores): each category scores the max of its model classes at/below.

        ``scores`` is [n_classes] or [..., n_classes] (a history); categories are in file order.
        """
        scores = np.asarray(scores)
        if scores.shape[-1] != len(self.classes):
            raise ValueError(f"expected {len(self.classes)} scores, got shape {scores.shape}")
        if not len(self._starts):
            return [], np.zeros(scores.shape[:-1] + (0,), dtype=scores.dtype)
        rolled = np.maximum.reduceat(scores[..., self._flat], self._starts, axis=-1)
        return self.rollup_names, rolled

    # -- search --------------------------------------------------------------------------------
    def search(self, text: str) -> list[int]:
        """Class indices matching ``text`` (case-insensitive substring), best first.

        Rank: name starts with it > name contains it > description contains it; then by name.
        Empty text lists every class in model order, so the search box starts full.
        """
        needle = text.strip().lower()
        if not needle:
            return list(range(len(self.classes)))
        hits = []
        for i, (name, desc) in enumerate(zip(self._lower_names, self._lower_desc)):
            if name.startswith(needle):
                rank = 0
            elif needle in name:
                rank = 1
            elif needle in desc:
                rank = 2
            else:
                continue
            hits.append((rank, name, i))
        return [i for _, _, i in sorted(hits)]

    def suggest(self, text: str, limit: int = 5) -> list[int]:
        """Classes a free-text human label probably means ("dog bark" -> Bark, Dog, ...), best first.

        Each word of three letters or more scores 3 when a class name starts with it, 2 when the
        name contains it, 1 when the description does; the whole text in a name adds 3.
        """
        low = text.strip().lower()
        words = [w for w in low.replace(",", " ").replace("_", " ").split() if len(w) >= 3]
        scored = []
        for i, (name, desc) in enumerate(zip(self._lower_names, self._lower_desc)):
            score = 3 * (bool(low) and low in name)
            for w in words:
                score += 3 if name.startswith(w) else 2 if w in name else 1 if w in desc else 0
            if score:
                scored.append((-score, len(name), name, i))
        return [i for *_, i in sorted(scored)[:limit]]


def load_default(
    explicit: str | os.PathLike | None = None,
    *,
    allow_download: bool = False,
    report: Callable[[str], None] | None = None,
) -> Ontology | None:
    """The ontology, or None with one message (to ``report``, else the log) saying it is off.

    Downloads are off by default: set-up fetches the file, and a start-up must not hang on the
    network. A missing or damaged file only turns the feature off; the app keeps running.
    """
    from yamview.core import assets

    try:
        # An explicit path goes straight to load(), whose "not found" names the ontology.
        if explicit is None:
            explicit = assets.ensure("ontology", allow_download=allow_download)
        return Ontology.load(explicit)
    except (assets.AssetError, OntologyError) as exc:
        (report or log.warning)(OFF_MESSAGE.format(reason=exc))
        return None


def unmatched_message(lo: ClassOntology, limit: int = 5) -> str | None:
    """One line about classes the ontology does not know, or None when all are found."""
    if not lo.unmatched:
        return None
    shown = ", ".join(repr(x) for x in lo.unmatched[:limit])
    more = f" and {len(lo.unmatched) - limit} more" if len(lo.unmatched) > limit else ""
    return (
        f"{len(lo.unmatched)} of {len(lo.classes)} model classes are not in the AudioSet ontology "
        f"({shown}{more}); they have no description or parents"
    )


__all__ = [
    "ClassOntology", "Node", "Ontology", "OntologyError", "load_default", "unmatched_message",
]
