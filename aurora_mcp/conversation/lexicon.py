"""French/English word tables and the text folding shared by outlines, reference parsing and query condensing."""

from __future__ import annotations

import re
import unicodedata

# Zero-width, bidi-override and C0/C1 controls: they can hide text inside a title or break a log line.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
_SPACES = re.compile(r"\s+")
_ROMAN = re.compile(r"^m{0,3}(cm|cd|d?c{0,3})(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})$")
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100, "d": 500, "m": 1000}
_APOSTROPHES = "’‘ʼ`´"


def clean_text(text: str, *, max_len: int) -> str:
    """Drop control characters, collapse whitespace and cut at `max_len`, on a word boundary when one is near."""
    text = _SPACES.sub(" ", _CONTROL.sub(" ", text)).strip()
    if len(text) <= max_len:
        return text
    cut = text[:max_len]
    space = cut.rfind(" ")
    # A cut mid-word reads as a typo; back off to the last space unless that loses most of the text.
    return (cut[:space] if space > max_len * 0.6 else cut).rstrip()


def fold(text: str) -> tuple[str, list[int]]:
    """Lowercase, accent-free text, and for each folded character the index of the original it came from.

    Matching runs on the folded text so "Deuxième" and "deuxieme" agree; the index map turns a match back into a
    span of the user's own text (condensing keeps the user's accents).
    """
    out: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        if ch in _APOSTROPHES:
            folded = "'"
        elif ch == "º":  # masculine ordinal indicator: "nº2" means "n°2", while NFKD would turn it into "no2"
            folded = "°"
        else:
            decomposed = unicodedata.normalize("NFKD", ch)
            folded = "".join(c for c in decomposed if not unicodedata.combining(c)).lower() or ch.lower()
        out.append(folded)
        origin.extend([i] * len(folded))
    return "".join(out), origin


def fold_plain(text: str) -> str:
    """The folded text alone, for comparisons."""
    return fold(text)[0]


def roman_value(token: str) -> int | None:
    """The value of a well-formed roman numeral ("iv" → 4), else None."""
    token = token.lower()
    if not token or not _ROMAN.match(token):
        return None
    total = 0
    for i, ch in enumerate(token):
        value = _ROMAN_VALUES[ch]
        following = _ROMAN_VALUES[token[i + 1]] if i + 1 < len(token) else 0
        total += -value if value < following else value
    return total


def letter_value(token: str) -> int:
    """Position of a single letter in the alphabet ("b" → 2)."""
    return ord(token.lower()) - ord("a") + 1


# Ordinal words, folded. Negative values count from the end of the list.
ORDINAL_WORDS: dict[str, int] = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5,
    "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10,
    "last": -1, "penultimate": -2, "second to last": -2, "second-to-last": -2,
    "next to last": -2, "next-to-last": -2, "last but one": -2,
    "premier": 1, "premiere": 1, "deuxieme": 2, "seconde": 2, "troisieme": 3,
    "quatrieme": 4, "cinquieme": 5, "sixieme": 6, "septieme": 7, "huitieme": 8,
    "neuvieme": 9, "dixieme": 10, "dernier": -1, "derniere": -1,
    "avant-dernier": -2, "avant-derniere": -2, "avant dernier": -2, "avant derniere": -2,
}  # fmt: skip

# Cardinal words accepted after a noun ("point deux", "part three").
NUMBER_WORDS: dict[str, int] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7, "huit": 8, "neuf": 9, "dix": 10,
}  # fmt: skip

# Nouns that name a part of an outline. "section"-like nouns followed by a number mean the section id.
SECTION_NOUNS = ("section", "sections", "sect.", "sect", "sec.", "sec")
PART_NOUNS = (
    "point", "points", "partie", "parties", "part", "parts", "item", "items", "chapitre", "chapitres",
    "chapter", "chapters", "etape", "etapes", "step", "steps", "axe", "axes", "paragraphe", "paragraphes",
    "sous-partie", "sous-parties", "option", "options", "scenario", "scenarios", "variante", "titre", "bullet",
)  # fmt: skip
# Nouns that often name steps or options *inside* a document ("step 3 of the upgrade"): they only refer to the
# outline when it uses such markers itself.
WEAK_NOUNS = frozenset(("step", "steps", "etape", "etapes", "option", "options", "scenario", "scenarios", "variante"))
# Nouns that only take a number ("number 2", "numéro 3").
NUMBER_NOUNS = ("number", "numero", "num.", "no.")
# Nouns an ordinal may qualify ("the second point", "la 3e partie", "the last one").
ORDINAL_NOUNS = (
    *PART_NOUNS, "section", "sections", "one", "ones", "heading", "element", "aspect", "idee", "theme", "topic",
    "volet", "bloc", "block", "sujet",
)  # fmt: skip
# Adjectives allowed between an ordinal and its noun ("the second main point", "la deuxième grande partie").
ORDINAL_ADJECTIVES = ("grand", "grande", "gros", "main", "big", "major", "key", "principal", "principale")
ARTICLES = ("the", "le", "la", "les", "l'", "ce", "cette", "this", "that")

# Words after which a lone "a"/"i"/"un"/"one" marker is still a reference ("point a et b", "part I of"), since
# "the point I made" or "le point a été vu" use the same letters as a pronoun or a verb.
MARKER_FOLLOWERS = (
    "et", "and", "de", "du", "des", "d'", "of", "in", "dans", "from", "ou", "or", "please", "stp", "svp", "s'il",
)  # fmt: skip

# Request phrasing that carries no topic: removed when condensing, skipped when a message is a bare reference.
FILLER_PHRASES = (
    "tell me more about", "tell me more on", "tell me about", "tell me more", "more details about",
    "more details on", "more detail on", "more about", "more on", "details on", "details about", "elaborate on",
    "expand on", "go deeper into", "dig into", "drill into", "zoom in on", "what about", "how about",
    "what does", "what do", "say about", "says about", "what is in", "what's in", "can you", "could you",
    "would you", "please", "explain", "elaborate", "expand", "describe", "summarize", "summarise", "detail",
    "give me", "show me", "i want", "i'd like", "let's see", "go on with", "continue with", "now", "then",
    "so", "ok", "okay", "and", "in more detail", "in detail", "thanks", "thank you",
    "plus de details sur", "plus de details", "plus d'informations sur", "plus d'infos sur", "en savoir plus sur",
    "dis-m'en plus sur", "dis m'en plus sur", "dis-moi en plus sur", "parle-moi de", "parle moi de",
    "parlez-moi de", "qu'en est-il de", "qu'en est-il du", "et pour", "que dit", "ce que dit", "dit sur",
    "peux-tu", "peux tu", "pourrais-tu", "pouvez-vous", "pourriez-vous", "tu peux", "vous pouvez",
    "developpe", "developper", "developpez", "detaille", "detailler", "detaillez", "explique", "expliquer",
    "expliquez", "approfondis", "approfondir", "precise", "preciser", "resume", "resumer", "decris", "decrire",
    "je veux", "je voudrais", "j'aimerais", "voyons", "passons a", "on passe a", "passe a", "maintenant",
    "alors", "ensuite", "puis", "ok", "d'accord", "et", "s'il te plait", "s'il vous plait", "stp", "svp",
    "merci", "en detail", "en details", "plus en detail", "davantage", "un peu plus", "un peu",
)  # fmt: skip

# Connective words that carry no topic once the reference and the request phrasing are gone.
EDGE_STOPWORDS = frozenset(
    (
        "the", "a", "an", "of", "in", "on", "about", "for", "to", "with", "and", "or", "me", "it", "its", "this",
        "that", "these", "those", "more", "some", "from", "into", "regarding", "is", "are", "what", "which",
        "le", "la", "les", "l'", "un", "une", "des", "de", "du", "d'", "sur", "dans", "pour", "avec", "et", "ou",
        "en", "au", "aux", "a", "ce", "cette", "ces", "moi", "m'", "plus", "concernant", "sa", "son", "ses",
        "leur", "leurs",
    )
)  # fmt: skip


_FILLERS_LONGEST_FIRST = sorted(set(FILLER_PHRASES), key=len, reverse=True)
_EDGE_PUNCT = " \t\r\n,;:!?.-–—()[]\"'«»“”…"


def trim_edges(folded: str, start: int, end: int, *, words: frozenset[str] = frozenset()) -> tuple[int, int]:
    """Narrow `folded[start:end]` past request phrasing, punctuation and `words` at both ends.

    Works on folded text and returns indices into it, so callers can map the kept span back to the original.
    """
    changed = True
    while changed and start < end:
        changed = False
        while start < end and folded[start] in _EDGE_PUNCT:
            start, changed = start + 1, True
        while end > start and folded[end - 1] in _EDGE_PUNCT:
            end, changed = end - 1, True
        for phrase in (*_FILLERS_LONGEST_FIRST, *words):
            n = len(phrase)
            after = start + n
            if folded.startswith(phrase, start) and (phrase[-1] == "'" or after >= end or _is_break(folded[after])):
                start, changed = after, True
                break
            before = end - n - 1
            if (
                end - n >= start
                and folded.endswith(phrase, start, end)
                and (before < start or _is_break(folded[before]))
            ):
                end, changed = end - n, True
                break
    return start, end


def _is_break(ch: str) -> bool:
    return not (ch.isalnum() or ch in "-_'")
