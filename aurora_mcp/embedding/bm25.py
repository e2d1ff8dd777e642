"""BM25 sparse encoder: folded, stopword-free, stemmed (EN + FR) terms hashed to stable ids, with BM25 saturation."""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from hashlib import blake2b
from typing import Literal

import Stemmer
from typing_extensions import override

from aurora_mcp.embedding.base import SparseEncoder
from aurora_mcp.index.base import SparseVector

Language = Literal["fr", "en"]

# Compact lists in the spirit of Snowball's (PostgreSQL ships the same ones), written folded (no accents) because
# terms are compared after accent folding. French elided articles ("l'", "d'", "qu'") split into single letters.
_EN_WORDS = """a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing don down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just me more most my
    myself no nor not now of off on once only or other our ours ourselves out over own s same she should so some
    such t than that the their theirs them themselves then there these they this those through to too under
    until up very was we were what when where which while who whom why will with would you your yours yourself
    yourselves"""
_FR_WORDS = """a ai aie aient aies ait as au aura aurai auraient aurais aurait auras aurez auriez aurions aurons
    auront aux avaient avais avait avec avez aviez avions avons ayant ayez ayons c ce ceci cela celle celles
    celui ces cet cette comme d dans de des du elle elles en es est et etaient etais etait etant etiez etions
    ete etes etre eu eue eues eurent eus eut eux fut furent il ils j je l la le les leur leurs lui m ma mais me
    meme mes moi mon n ne nos notre nous on ont ou par pas pour qu que quel quelle quelles quels qui s sa sans
    se sera serai seraient serais serait seras serez seriez serions serons seront ses si soient soit sommes son
    sont sous soyez soyons suis sur t ta te tes toi ton tu un une vos votre vous y"""
EN_STOPWORDS = frozenset(_EN_WORDS.split())
FR_STOPWORDS = frozenset(_FR_WORDS.split())
_STOPWORDS = EN_STOPWORDS | FR_STOPWORDS
# Words in both lists ("a", "on", "as") say nothing about the language, so only the exclusive ones vote.
_EN_ONLY = EN_STOPWORDS - FR_STOPWORDS
_FR_ONLY = FR_STOPWORDS - EN_STOPWORDS

# \w keeps letters of every script, digits and "_" (so `pg_dump` stays one token); everything else separates.
_WORD = re.compile(r"\w+")
_MAX_TERM_CHARS = 40  # longer runs are hashes, base64 or minified code: noise that only bloats the vectors

# Language handling, measured on tests/embedding/bm25_microset.py (16 FR/EN passages, 33 queries, 89 query words;
# "words" = query words meeting a term of the wanted passage; MRR with Qdrant-style IDF; nnz over all passages):
#   stem by guessed language, docs and queries alike, unknown → English     words 63/89   MRR 1.000   nnz 161
#   stem by guessed language, unknown → both stemmers                       words 76/89   MRR 0.985   nnz 161
#   English and French stems of every word                                  words 76/89   MRR 1.000   nnz 213
#   same + French stem of the accented form (chosen, see `_stems`)          words 78/89   MRR 1.000   nnz 220
# A guess fails where it matters: 29 of the 36 queries are keyword queries with no stopword to vote, and bilingual
# users ask in French about English passages that share technical vocabulary ("réplication" stems to "repliqu" in
# French, "replic" in English). MRR saturates on a corpus this small; word agreement is what carries to real corpora.
# Both stemmers agree on most words (one term), so vectors grow ~35%; passage length counts words, not stems.
STEM_LANGUAGES: tuple[str, ...] = ("english", "french")


def _lower(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _strip_accents(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """NFKC, casefold, then strip accents (NFKD and drop combining marks), so "Éléphant" and "elephant" agree."""
    return _strip_accents(_lower(text))


def detect_language(text: str) -> Language | None:
    """Guess French or English from exclusive stopword hits; None when there is too little evidence (or a tie).

    Cheap by design (no model): good on passages, blind on keyword queries, code and tables.
    """
    en = fr = 0
    for token in _WORD.findall(fold(text)):
        if token in _EN_ONLY:
            en += 1
        elif token in _FR_ONLY:
            fr += 1
    if en + fr < 3:
        return None
    if fr >= 1.5 * en:
        return "fr"
    if en >= 1.5 * fr:
        return "en"
    return None


def term_id(term: str) -> int:
    """A stable uint32 id for a term: blake2b, identical across processes and runs (never Python's `hash()`)."""
    return int.from_bytes(blake2b(term.encode("utf-8"), digest_size=4).digest(), "little")


class Bm25SparseEncoder(SparseEncoder):
    """Encodes passages as BM25 term weights and queries as term sets; Qdrant's IDF modifier adds the IDF factor.

    Document value of a term = tf·(k1+1) / (tf + k1·(1 − b + b·dl/avgdl)), the BM25 term-frequency part with
    length normalisation. Qdrant's `Modifier.IDF` multiplies each dimension by the collection IDF at query time, so
    the dot product with a query of 1s is the BM25 score. The corpus average length is not known when a passage is
    encoded (and would change as documents arrive), so `avg_doc_length` is a constant near the length of our
    chunks: a full 254-token chunk of the PostgreSQL manual holds ~100 words after stopwords (French ~80, its words
    take more wordpieces), and chunks are often shorter than full.

    Thread-safe: Snowball stemmers keep internal state, so stemming (only on a cache miss) is serialised.
    """

    def __init__(self, *, k1: float = 1.2, b: float = 0.75, avg_doc_length: float = 90.0) -> None:
        if k1 < 0 or not 0 <= b <= 1 or avg_doc_length <= 0:
            raise ValueError("BM25 needs k1 >= 0, 0 <= b <= 1 and avg_doc_length > 0")
        self._k1 = k1
        self._b = b
        self._avg_doc_length = avg_doc_length
        self._stemmers = [Stemmer.Stemmer(name) for name in STEM_LANGUAGES]
        self._french = Stemmer.Stemmer("french")
        self._stem_lock = threading.Lock()
        # Vocabularies are Zipfian: a bounded cache turns most tokens into a dict lookup.
        self._token_ids = lru_cache(maxsize=200_000)(self._ids_for_token)

    def _stems(self, word: str) -> set[str]:
        """Stems of a lower-cased word, accents kept: its accent-free form through every stemmer, plus the French
        stem of the accented form with accents stripped afterwards (Snowball French reads "ées", "è": "supprimées"
        → "supprim", while "supprimees" → "supprime"; emitting both lets queries typed with or without accents meet).
        """
        folded = _strip_accents(word)
        with self._stem_lock:
            stems = {stemmer.stemWord(folded) for stemmer in self._stemmers}
            if folded != word:
                stems.add(_strip_accents(self._french.stemWord(word)))
        return stems

    def _ids_for_token(self, token: str) -> tuple[int, ...]:
        """Ids a lower-cased token contributes: stems of a word; identifiers verbatim plus the stems of their parts."""
        folded = _strip_accents(token)
        if folded in _STOPWORDS or len(folded) > _MAX_TERM_CHARS:
            return ()
        if folded.isdigit():
            return (term_id(folded),)
        if "_" in folded or any(ch.isdigit() for ch in folded):
            # `pg_dump`, `utf8`, `ipv6`: exact identifiers matter, and "dump" alone should still find `pg_dump`.
            terms = {folded}
            for part in token.split("_"):
                if part and _strip_accents(part) not in _STOPWORDS:
                    terms |= {_strip_accents(part)} if any(ch.isdigit() for ch in part) else self._stems(part)
            return tuple(sorted(term_id(t) for t in terms))
        return tuple(sorted(term_id(t) for t in self._stems(token)))

    def _term_counts(self, text: str) -> tuple[Counter[int], int]:
        counts: Counter[int] = Counter()
        length = 0
        for token in _WORD.findall(_lower(text)):
            ids = self._token_ids(token)
            if ids:
                length += 1  # words, not emitted terms, so extra stems do not lengthen a passage
                counts.update(ids)
        return counts, length

    def encode_document(self, text: str) -> SparseVector:
        """BM25-saturated term frequencies of one passage, indices ascending; empty when nothing is left."""
        counts, length = self._term_counts(text)
        norm = self._k1 * (1 - self._b + self._b * length / self._avg_doc_length)
        indices = sorted(counts)
        values = [counts[i] * (self._k1 + 1) / (counts[i] + norm) for i in indices]
        return SparseVector(indices=indices, values=values)

    @override
    def encode_documents(self, texts: Sequence[str]) -> list[SparseVector]:
        return [self.encode_document(text) for text in texts]

    @override
    def encode_query(self, text: str) -> SparseVector:
        """Value 1 per unique term: repeating a word in a question should not outweigh the IDF of rarer words."""
        counts, _ = self._term_counts(text)
        indices = sorted(counts)
        return SparseVector(indices=indices, values=[1.0] * len(indices))
