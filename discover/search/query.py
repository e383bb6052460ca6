"""The search-query language footprints are written in, and the one parser of it.

    plain terms · "exact phrase" · intitle:word / intitle:"phrase" · allintitle: · inurl:term ·
    allinurl: · site:host (site:.gov / site:gov for a suffix, site:host/path for a prefix) ·
    filetype:ext / ext:ext · -exclusion (of any of these) · OR or | between terms or (groups)

    lex(text)            -> [Token]            the one tokenizer (everything below builds on it)
    parse_query(text)    -> And                a small tree, for engines that evaluate queries
    rewrite(text, ops)   -> (text, notes)      the query for an engine honouring only `ops`
    plain_words(text)    -> [str]              the words that are not operators
    tokens / stem / compound_stems / host_matches   how words and hosts match

Per-engine translation (`search.engines.translate`) is `rewrite` with the engine's declared
operators. The offline world's engine (discover.webworld.engine) evaluates `parse_query`
trees with the same stemming, so footprints mean the same thing offline and online.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, Union

#: Operators with a field (the canonical names an engine's SUPPORTED_OPERATORS also uses),
#: and the spellings that mean the same thing.
FIELD_OPS: dict[str, str] = {"intitle": "intitle", "allintitle": "intitle", "inurl": "inurl",
                             "allinurl": "inurl", "site": "site", "filetype": "filetype", "ext": "filetype"}
#: Engine operators the language does not use; a keyword made only of them is not a keyword.
OTHER_OPS: tuple[str, ...] = ("related", "cache")

_WORD = re.compile(r"[^\W_]+")
_LEX = re.compile(r'\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<or>\|)|(?P<neg>-)?(?:(?P<op>[a-zA-Z]+):)?'
                  r'(?:"(?P<phrase>[^"]*)"?|(?P<word>[^\s()"|]+)))')
_URL_NOISE = {"php", "html", "htm", "asp", "aspx", "jsp", "cgi", "www", "com", "org", "net"}


# ── words ────────────────────────────────────────────────────────────────────────────────

def tokens(text: str) -> list[str]:
    """Lower-cased words (letters and digits)."""
    return _WORD.findall(text.lower())


def stem(word: str) -> str:
    """Light stemming, as web engines match word forms: plurals ("resources"/"resource"), and
    -ing / -ed / -er / -y endings so "photography", "photographers" and "photographing" meet,
    as do "grooming" and "groomers". Phrases are still checked on the exact words."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith(("sses", "shes", "ches", "xes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for _ in range(2):  # "brewery" → "brewer" → "brew"
        if len(word) >= 6 and word.endswith("ing"):
            word = word[:-3]
        elif len(word) >= 6 and word.endswith("ed") and not word.endswith("eed"):
            word = word[:-2]
        elif len(word) >= 6 and word.endswith("er"):
            word = word[:-2]
        elif len(word) >= 7 and word.endswith("y") and word[-2] not in "aeiouy":
            word = word[:-1]
        else:
            break
    return word


def compound_stems(words: list[str]) -> list[tuple[int, str]]:
    """(position, stem) of each adjacent pair written as one word: "home brewing" may match
    "homebrewing". An index keeps the pairs it holds."""
    return [(i, stem(words[i] + words[i + 1])) for i in range(len(words) - 1)]


def host_matches(host: str, value: str) -> bool:
    """Does `host` satisfy site:`value` (the host or a subdomain; ".gov" or "gov" a suffix)?"""
    value = value.strip("/")
    if value.startswith("."):
        return host.endswith(value)
    if "." not in value:  # site:gov, site:edu
        return host.endswith("." + value) or host == value
    return host == value or host.endswith("." + value)


# ── the tokenizer ────────────────────────────────────────────────────────────────────────

@dataclass(frozen=True)
class Token:
    """One token as written. For "atom" tokens: `op` is the canonical field operator ("" for
    plain words and phrases), `value` the text without operator and quotes (case kept)."""

    kind: Literal["(", ")", "OR", "atom"]
    text: str
    neg: bool = False
    op: str = ""
    value: str = ""
    quoted: bool = False
    spelled: str = ""          # the operator as written, lower-cased ("allintitle", "ext")


def lex(text: str) -> list[Token]:
    """The query's tokens; characters that start no token are skipped."""
    out: list[Token] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _LEX.match(text, pos)
        if not m or m.end() == pos:
            pos += 1
            continue
        pos = m.end()
        raw = m.group(0).strip()
        if m.group("lp") or m.group("rp"):
            out.append(Token(raw, raw))  # type: ignore[arg-type]
            continue
        if m.group("or"):
            out.append(Token("OR", raw))
            continue
        op = (m.group("op") or "").lower()
        phrase, word = m.group("phrase"), m.group("word")
        if op and op not in FIELD_OPS:
            # "http://x" or "note:" are words, not operators
            word = f"{m.group('op')}:{word if word is not None else phrase or ''}"
            op, phrase = "", None
        neg = bool(m.group("neg"))
        if not op and phrase is None and word == "OR" and not neg:
            out.append(Token("OR", raw))
            continue
        value = phrase if phrase is not None else (word or "")
        out.append(Token("atom", raw, neg=neg, op=FIELD_OPS.get(op, ""), value=value,
                         quoted=phrase is not None, spelled=op))
    return out


def plain_words(text: str) -> list[str]:
    """Values of the tokens that are neither operators, exclusions nor OR."""
    return [t.value for t in lex(text)
            if t.kind == "atom" and not t.neg and not t.op and not t.value.lower().startswith(
                tuple(f"{o}:" for o in OTHER_OPS)) and t.value.upper() not in ("OR", "AND")]


# ── the tree ─────────────────────────────────────────────────────────────────────────────

@dataclass(frozen=True)
class Term:
    word: str


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]


@dataclass(frozen=True)
class Field:
    op: str            # intitle | inurl | site | filetype
    value: str         # lower-case; for intitle a phrase is kept as words joined by spaces
    phrase: bool = False


@dataclass(frozen=True)
class Not:
    node: "Node"


@dataclass(frozen=True)
class Or:
    nodes: tuple["Node", ...]


@dataclass(frozen=True)
class And:
    nodes: tuple["Node", ...]


Node = Union[Term, Phrase, Field, Not, Or, And]


def parse_query(q: str) -> And:
    """Parse the query language into a small tree. OR binds tighter than the implicit AND, as on
    the big engines; a dangling OR means nothing."""
    toks: list[tuple[str, Node | None]] = []
    for t in lex(q):
        if t.kind != "atom":
            toks.append((t.kind, None))
            continue
        node = _atom(t)
        if node is not None:
            toks.append(("NOT" if t.neg else "ATOM", node))
    nodes, _ = _parse_and(toks, 0)
    return And(tuple(nodes))


def _atom(t: Token) -> Node | None:
    if t.op in ("site", "inurl", "filetype"):
        value = t.value.strip().lower()
        return Field(t.op, value, t.quoted) if value else None
    words = tuple(tokens(t.value))
    if not words:
        return None
    if t.op == "intitle":
        if t.spelled == "allintitle" and len(words) > 1 and not t.quoted:
            return And(tuple(Field("intitle", w) for w in words))
        return Field("intitle", " ".join(words), len(words) > 1)
    return Phrase(words) if len(words) > 1 else Term(words[0])


def _parse_and(toks: list[tuple[str, Node | None]], i: int) -> tuple[list[Node], int]:
    out: list[Node] = []
    while i < len(toks):
        kind, _ = toks[i]
        if kind == ")":
            return out, i + 1
        if kind == "OR":  # dangling OR: treat as nothing
            i += 1
            continue
        node, i = _parse_unary(toks, i)
        alts = [node]
        while i < len(toks) and toks[i][0] == "OR":
            if i + 1 >= len(toks) or toks[i + 1][0] == ")":
                i += 1
                break
            nxt, i = _parse_unary(toks, i + 1)
            alts.append(nxt)
        out.append(Or(tuple(alts)) if len(alts) > 1 else node)
    return out, i


def _parse_unary(toks: list[tuple[str, Node | None]], i: int) -> tuple[Node, int]:
    kind, node = toks[i]
    if kind == "(":
        inner, j = _parse_and(toks, i + 1)
        return (inner[0] if len(inner) == 1 else And(tuple(inner))), j
    if kind == "NOT" and node is not None:
        return Not(node), i + 1
    # An operator token where a term belongs ("a OR OR b"): a node that matches nothing.
    return node if node is not None else Or(()), i + 1


# ── rewriting for an engine ──────────────────────────────────────────────────────────────

def _as_words(value: str, op: str) -> str:
    if op == "inurl" or op == "site":
        words = [w for w in re.split(r"[^0-9A-Za-z]+", value.lower()) if w and w not in _URL_NOISE]
        if op == "site" and len(words) > 1:
            words = words[:1]
    else:
        words = value.split()
    if not words:
        return ""
    return f'"{" ".join(words)}"' if len(words) > 1 else words[0]


def rewrite(query_text: str, supported: frozenset[str], name: str) -> tuple[str, tuple[str, ...]]:
    """The query for an engine that honours only the operators in `supported` ("phrase",
    "exclude", "or" and the field operators), and notes on what was changed.

    Unsupported operators are rewritten when a plain form keeps most of their meaning
    (intitle:x → x, inurl:write-for-us → "write for us", site:reddit.com → reddit,
    "phrase" → words) and dropped otherwise (exclusions, filetype:, site:.gov, OR keeps
    its first alternative)."""
    toks = lex(query_text)
    notes: list[str] = []

    def note(text: str) -> None:
        full = f"{text}: unsupported by {name}"
        if full not in notes:
            notes.append(full)

    if "or" not in supported and any(t.kind == "OR" for t in toks):
        kept: list[Token] = []
        i = 0
        while i < len(toks):
            if toks[i].kind == "OR":
                i += 2 if i + 1 < len(toks) and toks[i + 1].kind not in ("(", ")") else 1
                continue
            kept.append(toks[i])
            i += 1
        toks = [t for t in kept if t.kind not in ("(", ")")]
        note("OR dropped, first alternative kept")
    out: list[str] = []
    for t in toks:
        if t.kind != "atom":
            out.append(t.text)
            continue
        neg, op, value, quoted = t.neg, t.op, t.value, t.quoted
        if neg and "exclude" not in supported:
            note(f"exclusion {t.text} dropped")
            continue
        prefix = "-" if neg else ""
        if op and op not in supported:
            if op == "filetype" or (op == "site" and (value.startswith(".") or "." not in value)) or neg:
                note(f"{op}:{value} dropped")
                continue
            plain = _as_words(value, op)
            if not plain:
                note(f"{op}:{value} dropped")
                continue
            note(f"{op}: rewritten as plain words")
            op, value, quoted = "", plain.strip('"'), plain.startswith('"')
        if quoted and "phrase" not in supported:
            note("exact phrase quotes removed")
            tok = prefix + (f"{op}:" if op else "") + value
        elif op:
            tok = prefix + f"{op}:" + (f'"{value}"' if quoted else value)
        else:
            tok = prefix + (f'"{value}"' if quoted else value)
        out.append(tok)
    return _join(out), tuple(notes)


def _join(toks: list[str]) -> str:
    text = ""
    for tok in toks:
        if not text or text.endswith("(") or tok == ")":
            text += tok
        else:
            text += " " + tok
    return text
