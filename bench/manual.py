"""Read the DocBook HTML of the PostgreSQL manual into sections (id, heading, own text, parent, children)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

MANUAL_DIR = Path("/usr/share/doc/postgresql-doc-15/html")

# DocBook containers that carry their own heading; `book` (the whole manual) and `index` are left out.
SECTION_CLASSES = frozenset(
    {
        "part", "preface", "reference", "chapter", "appendix", "bibliography", "glossary", "colophon",
        "sect1", "sect2", "sect3", "sect4", "sect5", "simplesect", "section",
        "refentry", "refsect1", "refsect2", "refsect3",
    }
)
_SKIPPED_CLASSES = frozenset({"toc", "navheader", "navfooter", "list-of-tables", "list-of-figures", "list-of-examples"})
_VOID = frozenset({"br", "hr", "img", "meta", "link", "input", "col", "area", "base", "wbr", "param", "source"})
_BLOCK = frozenset(
    {"p", "pre", "li", "dt", "dd", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "div", "blockquote", "caption",
     "table", "ul", "ol", "dl", "thead", "tbody", "tfoot"}
)
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# "25.1.2. Recovering Disk Space", "Chapter 25. Routine…", "Appendix F. Additional…", "F.28.4. Functions", "Part III."
_NUMBERING = re.compile(r"^(?:(?:Chapter|Appendix|Part)\s+)?(?:[A-Z]|[IVXLC]+|\d+)(?:\.\d+)*\.\s+")


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


class _TreeBuilder(HTMLParser):
    """A forgiving DOM builder on the stdlib parser (the manual is XHTML, so tags are balanced)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self._stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self._stack[-1].children.append(node)
        if tag not in _VOID:
            self._stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self._stack) - 1, 0, -1):
            if self._stack[depth].tag == tag:
                del self._stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self._stack[-1].children.append(data)


def parse_html(text: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


def iter_nodes(node: Node):
    yield node
    for child in node.children:
        if isinstance(child, Node):
            yield from iter_nodes(child)


def text_of(node: Node | str) -> str:
    if isinstance(node, str):
        return node
    return "".join(text_of(c) for c in node.children)


def clean_heading(text: str) -> str:
    return _NUMBERING.sub("", " ".join(text.split())).strip()


@dataclass
class Section:
    """One DocBook section: what it says itself (child sections excluded) and where it sits in the tree."""

    id: str
    kind: str
    file: str
    heading: str
    blocks: list[tuple[str, str]]  # (kind, text) with kind in {"p", "pre", "b"}
    parent: str | None = None
    children: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n\n".join(t for _, t in self.blocks)

    @property
    def words(self) -> int:
        return len(self.text.split()) + len(self.heading.split())


def _section_class(node: Node) -> str | None:
    if node.tag != "div" or "id" not in node.attrs:
        return None
    hit = node.classes & SECTION_CLASSES
    return next(iter(hit)) if hit else None


class _OwnText:
    """Collects the blocks of one section, stopping at child sections, tables of contents and navigation."""

    def __init__(self) -> None:
        self.blocks: list[tuple[str, str]] = []
        self.heading: str | None = None
        self.child_nodes: list[Node] = []
        self._buf: list[str] = []

    def flush(self, kind: str = "p") -> None:
        text = " ".join("".join(self._buf).split())
        self._buf = []
        if text:
            self.blocks.append((kind, text))

    def walk(self, node: Node) -> None:
        for child in node.children:
            if isinstance(child, str):
                self._buf.append(child)
                continue
            if _section_class(child):
                self.flush()
                self.child_nodes.append(child)
                continue
            if child.classes & _SKIPPED_CLASSES:
                continue
            tag = child.tag
            if tag in _HEADINGS:
                self.flush()
                title = " ".join(text_of(child).split())
                if self.heading is None:
                    self.heading = clean_heading(title)
                elif title:
                    self.blocks.append(("b", title))
            elif tag == "pre":
                self.flush()
                body = text_of(child).strip("\n")
                if body.strip():
                    self.blocks.append(("pre", body))
            elif tag in ("td", "th"):
                if "".join(self._buf).strip():
                    self._buf.append(" | ")
                self.walk(child)
            elif tag in _BLOCK:
                self.flush()
                self.walk(child)
                self.flush()
            else:
                if tag == "br":
                    self._buf.append(" ")
                self.walk(child)


@dataclass
class ManualFile:
    name: str
    up: str | None
    root_sections: list[str]
    anchors: dict[str, str]  # element id → innermost section id holding it


def read_file(path: Path, sections: dict[str, Section]) -> ManualFile:
    """Add the sections of one HTML file to `sections`; return its anchors and its "Up" link."""
    root = parse_html(path.read_text(encoding="utf-8"))
    up = None
    for node in iter_nodes(root):
        if node.tag == "a" and node.attrs.get("accesskey") == "u":
            up = node.attrs.get("href", "").split("#")[0] or None
            break
    anchors: dict[str, str] = {}
    roots: list[str] = []

    def visit(node: Node, parent: str | None) -> None:
        kind = _section_class(node)
        if kind is None:
            for child in node.children:
                if isinstance(child, Node):
                    visit(child, parent)
            return
        sid = node.attrs["id"]
        own = _OwnText()
        own.walk(node)
        own.flush()
        section = Section(
            id=sid, kind=kind, file=path.name, heading=own.heading or sid, blocks=own.blocks, parent=parent
        )
        if sid in sections:  # ids are global in DocBook; keep the first and say so in the stats
            sid = f"{path.name}#{sid}"
            section.id = sid
        sections[sid] = section
        if parent is None:
            roots.append(sid)
        else:
            sections[parent].children.append(sid)
        _collect_anchors(node, sid, anchors)
        for child in own.child_nodes:
            visit(child, sid)

    visit(root, None)
    return ManualFile(name=path.name, up=up, root_sections=roots, anchors=anchors)


def _collect_anchors(node: Node, sid: str, anchors: dict[str, str]) -> None:
    if "id" in node.attrs:
        anchors[node.attrs["id"]] = sid
    for child in node.children:
        if isinstance(child, Node) and not _section_class(child):
            _collect_anchors(child, sid, anchors)


@dataclass
class Manual:
    sections: dict[str, Section]
    files: dict[str, ManualFile]

    def resolve(self, href: str) -> str | None:
        """The innermost section an index link points at: `file.html#ID` or the file's top section."""
        name, _, frag = href.partition("#")
        info = self.files.get(name)
        if info is None:
            return None
        if frag:
            return info.anchors.get(frag)
        return info.root_sections[0] if info.root_sections else None


def read_manual(directory: Path = MANUAL_DIR, *, skip: tuple[str, ...] = ("bookindex.html",)) -> Manual:
    """Every section of every page, with parents linked across pages through each page's "Up" link."""
    sections: dict[str, Section] = {}
    files: dict[str, ManualFile] = {}
    for path in sorted(directory.glob("*.html")):
        if path.name in skip:
            continue
        files[path.name] = read_file(path, sections)
    for info in files.values():
        up = files.get(info.up) if info.up else None
        if up is None or not up.root_sections:
            continue
        parent = up.root_sections[0]
        for sid in info.root_sections:
            if sections[sid].parent is None and parent != sid:
                sections[sid].parent = parent
                sections[parent].children.append(sid)
    return Manual(sections=sections, files=files)


def section_html(section: Section) -> str:
    """A small standalone HTML page: the heading as <h1>, inner titles in bold, code in <pre>, the rest as <p>."""
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        "<html><head><meta charset=\"utf-8\" />",
        f"<title>{esc(section.heading)}</title>",
        f"<meta name=\"aurora-section\" content=\"{esc(section.id)}\" />",
        "</head><body>",
        f"<h1>{esc(section.heading)}</h1>",
    ]
    for kind, text in section.blocks:
        if kind == "pre":
            parts.append(f"<pre>{esc(text)}</pre>")
        elif kind == "b":
            parts.append(f"<p><b>{esc(text)}</b></p>")
        else:
            parts.append(f"<p>{esc(text)}</p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
