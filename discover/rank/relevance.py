"""Topic relevance: how close a prospect's main text is to the user's niche.

A niche *profile* (the keyword, its expansions, optional examples of the user's own content)
and the run's corpus fit one TF-IDF space per run (sublinear tf, word uni+bigrams, English
stop words). The profile vector is then expanded by pseudo-relevance feedback (Rocchio: the
centroid of the corpus documents that match the plain profile best), so pages on an adjacent
topic that share the niche's vocabulary ("pregnancy", "bump", "nursing" for maternity clothes)
score above zero while an unrelated page scores near zero. Cosine similarity is mapped to
[0, 1] with a fixed saturating curve (not rescaled per run, so one page alone can still be
judged irrelevant).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any, Collection, Sequence

import numpy as np
from sklearn.base import BaseEstimator

from discover.search.query import compound_stems
from discover.search.query import stem as query_stem

#: Characters of a document's text used: the first screens of a page carry the topic, and a
#: cap bounds the cost of a pathological 5 MB page.
MAX_CHARS = 12_000

# Small stop lists for the most common non-English pages in link-building results; a page in
# another language is scored all the same (its words simply match nothing in an English profile).
_EXTRA_STOP = frozenset("""
der die das und ist ein eine nicht mit auf von den dem zu im sich auch als wie es le la les et des
un une est pour dans que qui pas sur au aux du el los las y en por con para una es del al se lo
il di che per non con una sono ich wir sie ihr oder aber bei nach wenn noch nur sind hat wird mehr
je nous vous ils elle mais ou donc ce cette ces son sa ses leur plus tout tres fait avec
yo nosotros ellos pero como mas muy este esta estos ya sus su le les fue ha han
""".split())

# Chrome of threads, blogs and sites, in the languages cue families cover: words that say how a
# page is built, never what it is about ("replies views joined" is no topic).
_CHROME_STOP = frozenset("""
reply replies replied views viewed joined posts posted poster quote quoted topics thread threads re
likes liked reaction reactions unread online guests moderator moderators admin administrator login
logout register registered permalink report reported edited wrote member members messages message
comment comments commented share shares tweet pin subscribe newsletter cookie cookies privacy policy
terms rights reserved copyright powered skip menu navigation previous next prev page pages
search tags tag category categories archive archives sidebar widget footer header loading
responder respuestas respuesta visitas mensajes mensaje registrado citar tema temas miembro miembros
comentarios comentario compartir inicio buscar anterior siguiente
repondre reponses reponse vues inscrit citer sujet sujets membre membres commentaires commentaire
partager accueil rechercher precedent suivant
antworten antwort zugriffe beitrage beitrag registriert zitieren thema themen mitglied mitglieder
kommentare kommentar teilen startseite suche zuruck weiter
""".split())


_TOKEN = re.compile(r"[^\W\d_]{2,}")


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | _EXTRA_STOP


#: A word's form as the engines match it (plurals, -ing/-ed/-er/-y): search.query's one rule.
stem = lru_cache(maxsize=262_144)(query_stem)


def _analyze(doc: str, lo: int = 1, hi: int = 2, surface: dict[str, str] | None = None,
             stop: frozenset[str] | None = None) -> list[str]:
    """Lower-cased, accent-stripped letter tokens without stop words, stemmed, then n-grams lo..hi.

    Like TfidfVectorizer's word analyzer with strip_accents="unicode" and stop_words, written
    out because it runs over every page of a run (zip-built bigrams, an ASCII fast path), plus
    the engine's stemming so "groomers", "grooming" and "groom" are one term. `surface`, when
    given, collects a readable word for each stem (the first seen: the profile's own words).
    """
    if not doc.isascii():
        doc = "".join(ch for ch in unicodedata.normalize("NFKD", doc) if not unicodedata.combining(ch))
    stop = _stop_words() if stop is None else stop
    words = [t for t in _TOKEN.findall(doc.lower()) if t not in stop]
    toks = [stem(t) for t in words]
    if surface is not None:
        for w, t in zip(words, toks):
            surface.setdefault(t, w)
    out = toks if lo <= 1 else []
    for n in range(max(2, lo), hi + 1):
        out = out + [" ".join(g) for g in zip(*(toks[i:] for i in range(n)))]
    return out


#: A line seen on this many pages of one host (and on at least TEMPLATE_SHARE of them) is the
#: site's template — menu, sidebar, footer, thread chrome — not what a page is about.
TEMPLATE_MIN_PAGES = 3
TEMPLATE_SHARE = 0.3
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")


def _line_key(line: str) -> str:
    return _SPACE.sub(" ", _DIGITS.sub("#", line.strip(" \t-•*|·>").lower()))


def strip_template(texts: Sequence[str], hosts: Sequence[str]) -> list[str]:
    """Each text without the lines its host repeats across pages, and with lines it repeats
    within itself kept once ("Posts: 24 · Joined: 2017" under every post of a thread).

    Lines are compared with digits folded ("Replies: 3" = "Replies: 12"). A host needs
    TEMPLATE_MIN_PAGES pages before anything counts as template, so one thread and the index
    that lists it keep their shared subject line.
    """
    if len(texts) != len(hosts):
        raise ValueError("texts and hosts differ in length")
    split = [[ln for ln in (t or "").splitlines() if ln.strip()] for t in texts]
    keys = [[_line_key(ln) for ln in lines] for lines in split]
    by_host: dict[str, list[int]] = {}
    for i, h in enumerate(hosts):
        by_host.setdefault(h, []).append(i)
    template: dict[str, set[str]] = {}
    for h, idx in by_host.items():
        if len(idx) < TEMPLATE_MIN_PAGES:
            continue
        need = max(TEMPLATE_MIN_PAGES, math.ceil(TEMPLATE_SHARE * len(idx)))
        seen: dict[str, int] = {}
        for i in idx:
            for k in set(keys[i]):
                seen[k] = seen.get(k, 0) + 1
        template[h] = {k for k, n in seen.items() if n >= need and k}
    out = []
    for lines, ks, h in zip(split, keys, hosts):
        drop = template.get(h, set())
        kept, once = [], set()
        for ln, k in zip(lines, ks):
            if k in drop or k in once:
                continue
            once.add(k)
            kept.append(ln)
        out.append("\n".join(kept))
    return out


def repeated_in_host(values: Sequence[str], hosts: Sequence[str]) -> list[bool]:
    """Whether each value (a title, a description) is one its host shows on TEMPLATE_MIN_PAGES+ pages."""
    count: dict[tuple[str, str], int] = {}
    keys = [(h, _line_key(v)) for v, h in zip(values, hosts)]
    for k in keys:
        if k[1]:
            count[k] = count.get(k, 0) + 1
    return [bool(k[1]) and count[k] >= TEMPLATE_MIN_PAGES for k in keys]


def has_topic_words(text: str) -> bool:
    """Whether `text` has a word the topic model can match pages on (not only stop words)."""
    return bool(_analyze(text, 1, 1))


@dataclass(frozen=True)
class TopicDoc:
    """A page as the topic model reads it: title weighted above body."""

    title: str = ""
    text: str = ""
    description: str = ""

    def render(self, title_weight: int = 3) -> str:
        return " ".join([(self.title + ". ") * title_weight, self.description, self.text[:MAX_CHARS]])


def _variants(term: str) -> list[str]:
    """Singular/plural forms so "dress" meets "dresses" without a stemmer."""
    out = [term]
    if term.endswith("ies") and len(term) > 4:
        out.append(term[:-3] + "y")
    elif term.endswith("es") and len(term) > 4:
        out += [term[:-2], term[:-1]]
    elif term.endswith("s") and len(term) > 3:
        out.append(term[:-1])
    elif term.endswith("y") and len(term) > 3:
        out.append(term[:-1] + "ies")
    else:
        out += [term + "s", term + "es"] if term.endswith(("sh", "ch", "x")) else [term + "s"]
    return out


def profile_text(keyword: str, expansions: Sequence[str] = (), about: Sequence[str] = (),
                 corpus: Sequence[str] = ()) -> list[str]:
    """The profile documents for a niche: keyword forms first, then expansions and the user's texts.

    Two keyword words also match written as one, as on the local engine ("home brewing" →
    "homebrewing"), when a page of `corpus` writes them so (a compound no page uses would only
    dilute the profile)."""
    stop = _stop_words()
    words = [w for w in re.findall(r"\w+", keyword.lower()) if w not in stop]
    forms = " ".join(v for w in words for v in _variants(w))
    for i, joined in compound_stems(words):
        written = re.compile(rf"\b{re.escape(joined)}", re.I)
        if any(written.search(c[:MAX_CHARS]) for c in corpus if c):
            forms += f" {words[i]}{words[i + 1]}"
    docs = [f"{keyword} {keyword} {forms}"]
    docs += [e for e in expansions if e.strip()]
    docs += [a[:MAX_CHARS] for a in about if a.strip()]
    return docs


#: Pseudo-relevance feedback needs at least this many top documents agreeing (small corpora
#: such as one journalist digest have too few: feedback would import one query's words).
MIN_FEEDBACK_DOCS = 2


class TopicModel(BaseEstimator):
    """TF-IDF niche profile with Rocchio expansion (scikit-learn estimator conventions).

    Parameters
    ----------
    ngram_range: word n-grams of the TF-IDF space.
    feedback_docs: how many top corpus documents feed the profile expansion (0 = none).
    feedback_weight: Rocchio beta; the plain profile has weight 1.
    feedback_terms: only the centroid's strongest terms expand the profile (the tail is noise).
    feedback_exclude: words never learned by feedback (the target place: every local page
        shares it, so it would make any page from the right town look on-topic).
    saturation: cosine at which the score reaches 1 - 1/e ≈ 0.63.
    """

    def __init__(self, ngram_range: tuple[int, int] = (1, 2), *, feedback_docs: int = 5,
                 feedback_weight: float = 0.5, feedback_terms: int = 40, saturation: float = 0.12,
                 feedback_exclude: Collection[str] = ()) -> None:
        self.ngram_range = ngram_range
        self.feedback_docs = feedback_docs
        self.feedback_weight = feedback_weight
        self.feedback_terms = feedback_terms
        self.saturation = saturation
        self.feedback_exclude = feedback_exclude

    # --- fitting ---------------------------------------------------------------------------
    def _vectorizer(self, keyword_doc: str) -> Any:
        from sklearn.feature_extraction.text import TfidfVectorizer

        # min_df/max_df stay at 1 / 1.0: the corpus can be a single page, and the niche's own
        # words appear on nearly every page of a good run, so a max_df cut would delete them.
        lo, hi = self.ngram_range
        self.surface_: dict[str, str] = {}
        # Page chrome is no topic, unless the niche itself is named with one of those words.
        own = set(_TOKEN.findall(keyword_doc.lower()))
        stop = _stop_words() | (_CHROME_STOP - own)
        return TfidfVectorizer(analyzer=partial(_analyze, lo=lo, hi=hi, surface=self.surface_, stop=stop),
                               sublinear_tf=True, min_df=1, max_df=1.0, dtype=np.float32)

    def fit(self, profile_texts: Sequence[str], corpus: Sequence[str] = ()) -> "TopicModel":
        self._fit(profile_texts, corpus)
        return self

    def fit_score_with_terms(self, profile_texts: Sequence[str], corpus: Sequence[str],
                             n: int = 5) -> tuple[np.ndarray, list[list[tuple[str, float]]]]:
        """`fit(profile, corpus)` then `score_with_terms(corpus)`, reading the corpus once."""
        docs = self._fit(profile_texts, corpus).tocsr()
        return self._scale(self._cosine(docs)), [self._row_terms(docs, i, n) for i in range(docs.shape[0])]

    def _fit(self, profile_texts: Sequence[str], corpus: Sequence[str]) -> Any:
        profile = [p for p in profile_texts if p and p.strip()]
        if not profile:
            raise ValueError("TopicModel.fit needs at least one non-empty profile text (the keyword)")
        corpus = [c or "" for c in corpus]
        vec = self._vectorizer(profile[0])
        try:
            matrix = vec.fit_transform(list(profile) + corpus)
        except ValueError as exc:   # only stop words in the profile
            raise ValueError(f"the niche profile has no usable words: {exc}") from None
        prof = matrix[: len(profile)]
        docs = matrix[len(profile):]
        q = np.asarray(prof.sum(axis=0)).ravel()
        # the keyword document leads; the user's texts and expansions refine it
        q[:] = q + np.asarray(prof[0].todense()).ravel()
        if not np.linalg.norm(q):
            raise ValueError("the niche profile has no usable words (only stop words?)")
        q = q / np.linalg.norm(q)
        k = min(self.feedback_docs, max(0, docs.shape[0] // 3))
        self.feedback_terms_: list[str] = []
        if k and docs.shape[0]:
            first = docs @ q
            order = np.argsort(-first)[:k]
            order = order[first[order] > 0]
            # One document is no consensus: its every word would become a "topic" word.
            if len(order) >= MIN_FEEDBACK_DOCS:
                centroid = np.asarray(docs[order].mean(axis=0)).ravel()
                names = vec.get_feature_names_out()
                excluded = {stem(w.lower()) for w in self.feedback_exclude} | set(self.feedback_exclude)
                keep = [i for i in np.argsort(-centroid)[: self.feedback_terms * 3]
                        if centroid[i] > 0 and not any(w in excluded for w in str(names[i]).split())
                        ][: self.feedback_terms]
                sparse_centroid = np.zeros_like(centroid)
                sparse_centroid[keep] = centroid[keep]
                sparse_centroid /= np.linalg.norm(sparse_centroid) or 1.0
                q = q + self.feedback_weight * sparse_centroid
                q /= np.linalg.norm(q) or 1.0
                self.feedback_terms_ = [self._readable(str(names[i])) for i in keep[:10]]
        self.vectorizer_ = vec
        self.profile_ = q.astype(np.float32)
        self.n_corpus_ = docs.shape[0]
        self.feature_names_ = vec.get_feature_names_out()
        return docs

    def _check(self) -> None:
        if not hasattr(self, "profile_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("this TopicModel is not fitted yet; call fit(profile_texts, corpus) first")

    # --- scoring ---------------------------------------------------------------------------
    def cosine(self, texts: Sequence[str]) -> np.ndarray:
        self._check()
        if not len(texts):
            return np.zeros(0, dtype=np.float32)
        return self._cosine(self.vectorizer_.transform([t or "" for t in texts]))

    def _cosine(self, m: Any) -> np.ndarray:
        return np.clip(np.asarray(m @ self.profile_).ravel(), 0.0, 1.0)

    def _scale(self, cos: np.ndarray) -> np.ndarray:
        return (1.0 - np.exp(-cos / self.saturation)).astype(np.float64)

    def score(self, texts: Sequence[str]) -> np.ndarray:
        """Relevance in [0, 1] for each text (a saturating map of cosine similarity)."""
        return self._scale(self.cosine(texts))

    def score_with_terms(self, texts: Sequence[str], n: int = 5) -> tuple[np.ndarray, list[list[tuple[str, float]]]]:
        """`score(texts)` and `top_terms` of each text from one pass over the texts."""
        self._check()
        if not len(texts):
            return np.zeros(0), []
        m = self.vectorizer_.transform([t or "" for t in texts]).tocsr()
        return self._scale(self._cosine(m)), [self._row_terms(m, i, n) for i in range(m.shape[0])]

    def top_terms(self, text: str, n: int = 5) -> list[tuple[str, float]]:
        """The terms that contribute most to this text's match, with their share of the cosine."""
        self._check()
        return self._row_terms(self.vectorizer_.transform([text or ""]).tocsr(), 0, n)

    def _row_terms(self, m: Any, row: int, n: int) -> list[tuple[str, float]]:
        lo, hi = m.indptr[row], m.indptr[row + 1]
        if lo == hi:
            return []
        idx = m.indices[lo:hi]
        contrib = m.data[lo:hi] * self.profile_[idx]
        total = float(contrib.sum())
        if total <= 0:
            return []
        names = self.feature_names_
        order = np.argsort(-contrib)
        out: list[tuple[str, float]] = []
        seen: set[str] = set()
        for i in order:
            if contrib[i] <= 0 or len(out) >= n:
                break
            term = str(names[idx[i]])
            # a bigram and its words say the same thing: keep the first (strongest) mention
            words = set(term.split())
            if words <= seen:
                continue
            seen |= words
            out.append((self._readable(term), round(float(contrib[i]) / total, 3)))
        return out

    def _readable(self, term: str) -> str:
        """A term as people write it: each stem shown as a word it came from."""
        surface = getattr(self, "surface_", {})
        return " ".join(surface.get(t, t) for t in term.split())
