"""Scan a follow-up message for outline references: section ids, letters, romans, numbers, ordinals, title cues."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from aurora_mcp.conversation.lexicon import (
    MARKER_FOLLOWERS,
    NUMBER_NOUNS,
    NUMBER_WORDS,
    ORDINAL_ADJECTIVES,
    ORDINAL_NOUNS,
    ORDINAL_WORDS,
    PART_NOUNS,
    SECTION_NOUNS,
    WEAK_NOUNS,
    fold,
    letter_value,
    roman_value,
    trim_edges,
)

RefType = Literal["section_id", "letter", "ordinal", "roman", "number", "title"]


class RefPart(BaseModel):
    """One reference phrase found in the message, with its span in the original text."""

    kind: RefType
    value: str = Field(description="S2.1 or 2 (section_id), B (letter), II (roman), 3 (number), -1 (ordinal), phrase")
    index: int | None = Field(default=None, description="numeric value: B → 2, II → 2, 'last' → -1")
    text: str = Field(description="the matched text as the user wrote it")
    weak: bool = Field(default=False, description="named with a step/option noun: counts only if the outline agrees")
    start: int
    end: int


def _alt(words: tuple[str, ...] | list[str]) -> str:
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(set(words), key=len, reverse=True))


_ARTICLE = r"(?:\b(?:the|le|la|les|l')\s*)?"
_ORD = rf"(?:{_alt(list(ORDINAL_WORDS))}|\d{{1,2}}(?:eme|ere|er|re|nde|nd|st|rd|th|e))"
_ORD_SUFFIX = re.compile(r"^(\d{1,2})[a-z]+$")
_OF_THEM = r"(?:\s+(?:one\s+)?(?:of\s+(?:them|those|these|the\s+list)|de\s+(?:la\s+liste|ceux-ci|celles-ci)))"

_S_ID = re.compile(r"(?<![\w/.])s(\d{1,3}(?:\.\d{1,3})*)(?![\w/])")
_PARAGRAPH = re.compile(r"§\s*(\d{1,3}(?:\.\d{1,3})*)(?![\w])")
_HASH = re.compile(r"(?<![\w&#])(?:#\s?|n\s?°\s*)(\d{1,2})(?![\w.])")
_NOUN = re.compile(
    rf"{_ARTICLE}(?<![\w-])(?P<noun>{_alt((*SECTION_NOUNS, *PART_NOUNS, *NUMBER_NOUNS))})(?![\w-])"
    r"(?:\s*(?:(?:numero|number|num\.|no\.)(?!\w)|n\s?°|#))?"
)
_MARKER = re.compile(r"\s*(?P<open>\()?(?P<tok>\d{1,3}(?:\.\d{1,3})*|[a-z]+)(?(open)\))")
_LIST_SEP = re.compile(rf"\s*(?:,|&|\+|/|\bet\b|\band\b)\s*{_ARTICLE}")
_ORD_NOUN = re.compile(
    rf"{_ARTICLE}(?<![\w-])(?P<ord>{_ORD})\s+(?:(?:{_alt(ORDINAL_ADJECTIVES)})\s+)?"
    rf"(?P<noun>{_alt(ORDINAL_NOUNS)})(?![\w-])"
    r"(?!\s+(?:of\s+(?:my|your)|de\s+(?:ma|mon|ta|ton|votre))\b)"  # "the last part of my question" is not a section
)
_ORD_ALONE = re.compile(rf"\b(?:the|le|la|l')\s*(?<![\w-])(?P<ord>{_ORD})(?:{_OF_THEM}|(?=\s*(?:[?!.]|$)))")
_BARE = re.compile(
    rf"^(?:(?:the|le|la|l')\s*)?(?:(?P<ord>{_ORD})|\(?(?P<tok>\d{{1,2}}|[a-z]|[ivxl]{{2,6}})\)?)"
    r"(?:\s+(?:one|un|une))?$"
)
_AWS_AFTER = re.compile(r"\s*(?:://|buckets?\b|api\b|storage\b|compatible\b|objects?\b|client\b|sdk\b|endpoint\b)")
_AWS_BEFORE = re.compile(r"(?:amazon|aws|minio|seaweedfs|an)\s*$")
_TITLE_CUE = re.compile(
    r"\b(?:the|la|le|l')\s*(?:part|section|bit|chapter|one|point|passage|partie|chapitre|paragraphe)\s+"
    r"(?:(?:qui\s+)?(?:parle|traite|porte)\s+(?:de\s+la|de\s+l'|des|du|de|sur)|about|on|regarding|concerning|"
    r"covering|that\s+covers|sur(?:\s+(?:les|le|la|l'))?|concernant|consacree?s?\s+(?:a\s+la|aux|au|a)|"
    r"a\s+propos\s+(?:des|du|de\s+la|de)|relati(?:f|ve)s?\s+(?:aux|au|a))\s*(?P<phrase>[^?!.;,\"«»“”]{2,80})"
)
_QUOTED = re.compile(r"[\"«“]\s*(?P<phrase>[^\"«»“”]{3,80}?)\s*[\"»”]")
_BARE_PREFIXES = frozenset({"about", "on", "for", "of", "to", "with", "sur", "pour", "de", "du", "me", "moi", "en"})


@dataclass
class _Hit:
    start: int
    end: int
    kind: RefType
    value: str
    index: int | None
    phrase: tuple[int, int] | None = None  # a title cue's phrase, mapped back to the user's spelling
    weak: bool = False


def scan_parts(message: str) -> list[RefPart]:
    """Every reference in `message`, in reading order; title cues only count when nothing else was found."""
    folded, origin = fold(message)
    hits = [*_section_ids(folded), *_noun_markers(folded, message, origin), *_ordinals(folded), *_bare(folded)]
    hits += [_Hit(m.start(), m.end(), "number", m[1], int(m[1])) for m in _HASH.finditer(folded)]
    chosen = _non_overlapping(hits) or _titles(folded)

    def original(a: int, b: int) -> tuple[int, int]:
        return origin[a], origin[b - 1] + 1

    def part(hit: _Hit) -> RefPart:
        start, end = original(hit.start, hit.end)
        value = message[slice(*original(*hit.phrase))] if hit.phrase else hit.value
        text = message[start:end]
        return RefPart(kind=hit.kind, value=value, index=hit.index, text=text, start=start, end=end, weak=hit.weak)

    return [part(hit) for hit in chosen]


def _section_ids(folded: str) -> list[_Hit]:
    hits = []
    for m in _S_ID.finditer(folded):
        # "S3" is also Amazon's object store, a frequent word in infrastructure documents.
        if _AWS_AFTER.match(folded, m.end()) or _AWS_BEFORE.search(folded, 0, m.start()):
            continue
        hits.append(_Hit(m.start(), m.end(), "section_id", "S" + m[1], None))
    hits += [_Hit(m.start(), m.end(), "section_id", m[1], _int(m[1])) for m in _PARAGRAPH.finditer(folded)]
    return hits


def _noun_markers(folded: str, message: str, origin: list[int]) -> list[_Hit]:
    """ "point B", "partie II", "section 2", "items 3 and 4": a noun, then one or more markers."""
    hits = []
    for m in _NOUN.finditer(folded):
        noun = m["noun"]
        start, pos = m.start(), m.end()
        while True:
            marker = _MARKER.match(folded, pos)
            hit = _classify(marker, noun, folded, message, origin) if marker else None
            if hit is None:
                break
            hits.append(_Hit(start, marker.end(), *hit, weak=noun in WEAK_NOUNS))
            sep = _LIST_SEP.match(folded, marker.end())
            if sep is None:
                break
            start, pos = marker.end() + len(sep[0]) - len(sep[0].lstrip()), sep.end()
    return hits


def _classify(
    marker: re.Match[str], noun: str, folded: str, message: str, origin: list[int]
) -> tuple[RefType, str, int | None] | None:
    token, end = marker["tok"], marker.end()
    section = noun in SECTION_NOUNS
    if token[0].isdigit():
        if re.match(r"[\w%]|\.\d", folded[end : end + 2]):
            return None
        return ("section_id" if section else "number"), token, _int(token)
    if token in NUMBER_WORDS:
        if token in ("un", "une", "one") and not _followed_by_break(folded, end):
            return None  # "ce point un peu plus": an article, not a number
        return ("section_id" if section else "number"), str(NUMBER_WORDS[token]), NUMBER_WORDS[token]
    if noun in NUMBER_NOUNS or folded[end : end + 1] in ("'", "-"):
        return None  # "point d'attention", "point c'est tout"
    if len(token) == 1:
        written = message[origin[marker.start("tok")]]
        if not written.isascii():
            return None  # "point à" folds to "point a"
        if written in "iaI" and not _followed_by_break(folded, end):
            return None  # "the point I made", "le point a été vu"; an upper-case "A" is a marker
        if token in "ivx":
            return "roman", token.upper(), roman_value(token)
        return "letter", token.upper(), letter_value(token)
    if set(token) <= set("ivxl") and roman_value(token):
        return "roman", token.upper(), roman_value(token)
    return None


def _followed_by_break(folded: str, end: int) -> bool:
    rest = folded[end:].lstrip()
    if not rest or rest[0] in "?!.,;:)":
        return True
    return any(rest.startswith(w) and (len(rest) == len(w) or not rest[len(w)].isalnum()) for w in MARKER_FOLLOWERS)


def _ordinals(folded: str) -> list[_Hit]:
    """ "the second point", "la 3e partie", "the last one", and "le deuxième" closing a sentence."""
    hits = []
    for pattern in (_ORD_NOUN, _ORD_ALONE):
        for m in pattern.finditer(folded):
            value = _ordinal_value(m["ord"])
            if value is not None:
                weak = (m.groupdict().get("noun") or "") in WEAK_NOUNS
                hits.append(_Hit(m.start(), m.end(), "ordinal", str(value), value, weak=weak))
    return hits


def _bare(folded: str) -> list[_Hit]:
    """A message that is only a reference once the request phrasing is gone: "B", "deuxième", "and the 3rd?"."""
    start, end = trim_edges(folded, 0, len(folded), words=_BARE_PREFIXES)
    m = _BARE.match(folded[start:end])
    if m is None:
        return []
    if m["ord"]:
        value = _ordinal_value(m["ord"])
        return [_Hit(start, end, "ordinal", str(value), value)] if value is not None else []
    token = m["tok"]
    if token.isdigit():
        return [_Hit(start, end, "number", token, int(token))]
    if len(token) == 1 and token not in "ivx":
        return [_Hit(start, end, "letter", token.upper(), letter_value(token))]
    value = roman_value(token)
    return [_Hit(start, end, "roman", token.upper(), value)] if value else []


def _titles(folded: str) -> list[_Hit]:
    for pattern in (_TITLE_CUE, _QUOTED):
        m = pattern.search(folded)
        if m:
            phrase_start, phrase_end = trim_edges(folded, m.start("phrase"), m.end("phrase"))
            if phrase_end > phrase_start:
                phrase = (phrase_start, phrase_end)
                return [_Hit(m.start(), m.end(), "title", folded[phrase_start:phrase_end], None, phrase)]
    return []


def _ordinal_value(token: str) -> int | None:
    token = re.sub(r"\s+", " ", token)
    if token in ORDINAL_WORDS:
        return ORDINAL_WORDS[token]
    m = _ORD_SUFFIX.match(token)
    return int(m[1]) if m and int(m[1]) > 0 else None


def _non_overlapping(hits: list[_Hit]) -> list[_Hit]:
    """Longest match first at each position; a hit inside an earlier one is dropped."""
    chosen: list[_Hit] = []
    for hit in sorted(hits, key=lambda h: (h.start, -(h.end - h.start))):
        if not chosen or hit.start >= chosen[-1].end:
            chosen.append(hit)
    return chosen


def _int(token: str) -> int | None:
    return int(token) if token.isdigit() else None
