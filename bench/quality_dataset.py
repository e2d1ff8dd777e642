"""Graded retrieval set from the manual's back-of-book index: each index term is a query, its sections are judged.

Grades: the innermost section holding a link's anchor is 2; that section's parent and children are 1. A term with
sub-terms ("aggregate function" → "moving aggregate") gives one query per sub-term, phrased "term sub-term".
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.manual import MANUAL_DIR, Manual, Node, parse_html, read_manual, section_html, text_of

BOOKINDEX = "bookindex.html"


@dataclass
class IndexEntry:
    """One line of the book index: the query text and the links (`file.html#ID`) it points to."""

    query: str
    hrefs: list[str]


@dataclass
class Query:
    qid: str
    text: str
    grades: dict[str, int]  # section id → 2 (the anchor's section) or 1 (its parent or a child)


@dataclass
class Dataset:
    queries: list[Query]
    sections: dict[str, dict] = field(default_factory=dict)  # id → {heading, kind, file, parent, words}
    stats: dict[str, int] = field(default_factory=dict)

    def sample(self, n: int | None, seed: int = 0) -> list[Query]:
        """A fixed random sample (same seed, same queries); None → every query."""
        if n is None or n >= len(self.queries):
            return list(self.queries)
        return random.Random(seed).sample(self.queries, n)


def _term_of(dt: Node) -> str:
    """The text of a `<dt>` before its first link, without the trailing comma ("advisory lock, <a…>")."""
    parts: list[str] = []
    for child in dt.children:
        if isinstance(child, Node) and child.tag == "a":
            break
        parts.append(text_of(child))
    return " ".join("".join(parts).split()).rstrip(", ").strip()


def _links_of(dt: Node) -> list[str]:
    return [
        c.attrs["href"]
        for c in dt.children
        if isinstance(c, Node) and c.tag == "a" and "indexterm" in c.classes and c.attrs.get("href")
    ]


def _walk_dl(dl: Node, prefix: str, out: list[IndexEntry]) -> None:
    term = ""
    for child in dl.children:
        if not isinstance(child, Node):
            continue
        if child.tag == "dt":
            term = _term_of(child)
            if re.search(r"\(see\b", term):  # "auto-increment (see serial)": a pointer, not a query
                term = term.split("(see")[0].strip()
            links = _links_of(child)
            if term and links:
                out.append(IndexEntry(query=f"{prefix} {term}".strip(), hrefs=links))
        elif child.tag == "dd":
            for sub in child.children:
                if isinstance(sub, Node) and sub.tag == "dl":
                    _walk_dl(sub, f"{prefix} {term}".strip(), out)


def parse_bookindex(text: str) -> list[IndexEntry]:
    """Every index term (and sub-term) with at least one link, in index order."""
    root = parse_html(text)
    entries: list[IndexEntry] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.tag == "div" and "indexdiv" in node.classes:
            for child in node.children:
                if isinstance(child, Node) and child.tag == "dl":
                    _walk_dl(child, "", entries)
            continue
        stack.extend(reversed([c for c in node.children if isinstance(c, Node)]))
    return entries


def build_queries(entries: list[IndexEntry], manual: Manual, *, corpus: set[str]) -> tuple[list[Query], dict[str, int]]:
    """Judge each entry against the section tree; entries with the same text (any case) are merged."""
    merged: dict[str, dict[str, int]] = {}
    texts: dict[str, str] = {}
    stats = {"entries": len(entries), "links": 0, "links_unresolved": 0, "links_to_empty_sections": 0}
    for entry in entries:
        key = entry.query.casefold()
        texts.setdefault(key, entry.query)
        grades = merged.setdefault(key, {})
        for href in entry.hrefs:
            stats["links"] += 1
            target = manual.resolve(href)
            if target is None:
                stats["links_unresolved"] += 1
                continue
            if target not in corpus:
                stats["links_to_empty_sections"] += 1
                continue
            grades[target] = 2
            section = manual.sections[target]
            for rel in [section.parent, *section.children]:
                if rel and rel in corpus and grades.get(rel, 0) < 2:
                    grades[rel] = 1
    queries = []
    for n, (key, grades) in enumerate(merged.items()):
        if any(g == 2 for g in grades.values()):
            queries.append(Query(qid=f"ix{n:05d}", text=texts[key], grades=grades))
    stats["queries"] = len(queries)
    return queries, stats


def build_dataset(out_dir: Path, *, manual_dir: Path = MANUAL_DIR) -> Dataset:
    """Write one HTML document per non-empty section under `out_dir/docs` and the judged queries to JSON."""
    manual = read_manual(manual_dir)
    corpus = {sid for sid, s in manual.sections.items() if s.blocks}
    entries = parse_bookindex((manual_dir / BOOKINDEX).read_text(encoding="utf-8"))
    queries, stats = build_queries(entries, manual, corpus=corpus)
    docs = out_dir / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    sections = {}
    for sid in sorted(corpus):
        s = manual.sections[sid]
        (docs / doc_filename(sid)).write_text(section_html(s), encoding="utf-8")
        sections[sid] = {
            "heading": s.heading, "title": _title(manual, sid), "kind": s.kind, "file": s.file, "parent": s.parent,
            "words": s.words,
        }
    stats.update(sections=len(corpus), sections_empty=len(manual.sections) - len(corpus),
                 words=sum(v["words"] for v in sections.values()))
    dataset = Dataset(queries=queries, sections=sections, stats=stats)
    save_dataset(dataset, out_dir / "dataset.json")
    return dataset


def _title(manual: Manual, sid: str) -> str:
    """The document title: the page's heading, then the section's ("VACUUM › Description"), as a reader sees it."""
    section = manual.sections[sid]
    roots = manual.files[section.file].root_sections
    page = manual.sections[roots[0]].heading if roots else ""
    return section.heading if not page or roots[0] == sid else f"{page} › {section.heading}"


def doc_filename(section_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", section_id) + ".html"


def save_dataset(dataset: Dataset, path: Path) -> None:
    path.write_text(json.dumps(asdict(dataset), ensure_ascii=False), encoding="utf-8")


def load_dataset(path: Path) -> Dataset:
    raw = json.loads(path.read_text(encoding="utf-8"))
    return Dataset(queries=[Query(**q) for q in raw["queries"]], sections=raw["sections"], stats=raw["stats"])
