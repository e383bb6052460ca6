"""TopicModel: estimator conventions, scores in [0, 1], adjacent topics, tiny corpora, explanations."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from discover.rank.relevance import TopicModel, profile_text

MATERNITY = [
    "Maternity clothes swap in Des Moines: maternity jeans, dresses and bump-friendly tops for moms.",
    "Best maternity dresses for a summer due date, and where to find maternity clothes on a budget.",
    "Forum thread: which maternity jeans actually stay up? Moms share maternity clothes tips.",
    "Pregnancy week by week: nursing bras, baby showers, bump care and moms' wardrobe advice.",
    "Parenting magazine: newborn sleep, pregnancy nutrition and baby shower ideas for moms.",
    "Used cars for sale in Omaha: low mileage sedans, trucks and financing offers.",
    "Vegan baking with aquafaba: egg-free brownies, oat milk and dairy-free frosting.",
    "Stock market update: index funds fell on interest rate news.",
]


def test_unfitted_raises_not_fitted():
    with pytest.raises(NotFittedError):
        TopicModel().score(["text"])
    with pytest.raises(NotFittedError):
        TopicModel().top_terms("text")


def test_init_stores_params_only_and_fit_returns_self():
    m = TopicModel(ngram_range=(1, 1), feedback_docs=2)
    assert m.get_params() == {
        "ngram_range": (1, 1), "feedback_docs": 2, "feedback_weight": 0.5, "feedback_terms": 40,
        "saturation": 0.12, "feedback_exclude": ()}
    assert not [k for k in vars(m) if k.endswith("_")]
    assert m.fit(profile_text("maternity clothes"), MATERNITY) is m
    assert hasattr(m, "profile_")


def test_on_topic_beats_adjacent_beats_unrelated():
    m = TopicModel().fit(profile_text("maternity clothes"), MATERNITY)
    s = m.score(MATERNITY)
    assert s.min() >= 0 and s.max() <= 1
    on_topic, adjacent, unrelated = s[:3].min(), s[3:5].max(), s[5:].max()
    assert on_topic > adjacent > unrelated
    assert adjacent > 0.05          # a parenting page is a fair prospect for maternity clothes
    assert unrelated < 0.05         # a used-car page is not


def test_plural_variants_match():
    m = TopicModel().fit(profile_text("maternity dress"), ["Our maternity dresses."])
    assert m.score(["maternity dresses"])[0] > 0.5


def test_empty_and_one_page_corpus():
    empty = TopicModel().fit(profile_text("vegan baking"), [])
    assert empty.score([]).shape == (0,)
    assert empty.score(["vegan baking tips"])[0] > 0.5
    one = TopicModel().fit(profile_text("vegan baking"), ["Car insurance quotes"])
    assert one.score(["Car insurance quotes"])[0] == pytest.approx(0.0, abs=1e-6)
    one_good = TopicModel().fit(profile_text("vegan baking"), ["Vegan baking: eggless cakes"])
    assert one_good.score(["Vegan baking: eggless cakes"])[0] > 0.5


def test_non_english_and_empty_texts_do_not_crash():
    m = TopicModel().fit(profile_text("dog grooming"), ["Hundepflege in Leeds für alle Rassen", "", "犬のトリミング"])
    s = m.score(["Hundepflege", "", "犬"])
    assert np.all((s >= 0) & (s <= 1))


def test_profile_must_have_words():
    with pytest.raises(ValueError):
        TopicModel().fit(["the and of"], ["some text"])


def test_top_terms_explain_the_match():
    m = TopicModel().fit(profile_text("maternity clothes"), MATERNITY)
    terms = m.top_terms(MATERNITY[0], n=3)
    assert terms and terms[0][0] in {"maternity", "maternity clothes", "clothes"}
    assert all(0 < w <= 1 for _, w in terms)
    assert m.top_terms(MATERNITY[5]) == []


def test_feedback_exclude_keeps_place_words_out():
    docs = [f"Des Moines maternity clothes {i}" for i in range(6)] + ["Des Moines car dealer"]
    plain = TopicModel(feedback_docs=3).fit(profile_text("maternity clothes"), docs)
    guarded = TopicModel(feedback_docs=3, feedback_exclude=("des", "moines")).fit(
        profile_text("maternity clothes"), docs)
    assert guarded.score(["Des Moines car dealer"])[0] < plain.score(["Des Moines car dealer"])[0]
    assert guarded.score(["Des Moines car dealer"])[0] == pytest.approx(0.0, abs=1e-6)


def test_word_forms_and_compounds_match_like_the_local_engine():
    """Stems as the local engine's ("groomers"/"grooming"), and two keyword words written as one
    ("home brewing" → "homebrewing") when pages write them so; terms are shown as words."""
    pages = ["Homebrewing supplies: malt, hops and yeast for homebrewers.",
             "Dog groomers in Leeds: professional grooming for every breed.",
             "Used cars for sale."]
    brew = TopicModel().fit(profile_text("home brewing", corpus=pages), pages)
    assert brew.score([pages[0]])[0] > 0.3
    assert brew.score([pages[2]])[0] == pytest.approx(0.0, abs=1e-6)
    groom = TopicModel().fit(profile_text("dog grooming"), pages)
    terms = [t for t, _ in groom.top_terms(pages[1], n=3)]
    assert groom.score([pages[1]])[0] > 0.5 and any("groom" in t for t in terms)
    assert all(" " in t or t.isalpha() for t in terms)
    # a compound no page writes does not dilute the profile
    assert "homebrewing" not in profile_text("home brewing", corpus=["Used cars"])[0]


def test_strip_template_drops_host_repeats_and_keeps_page_lines():
    from discover.rank.relevance import strip_template

    subjects = ["Rye sourdough", "Spelt loaves", "Starter feeding", "Oven steam"]
    texts = [f"Menu\nForum rules\n{sub}\nPosts: {i}\nPosts: {i + 9}\nFooter 2024"
             for i, sub in enumerate(subjects)] + ["Menu\nOne page of another host\nFooter 2024"]
    hosts = ["a.example"] * 4 + ["b.example"]
    out = strip_template(texts, hosts)
    assert out[0] == "Rye sourdough"                        # template gone (digits folded: "Posts: #")
    assert "Posts" not in out[1] and "Menu" not in out[3]
    assert out[4] == texts[4]                               # a host with one page keeps everything
    two = strip_template(["Subject line\nbody a", "Subject line\nbody b"], ["c.example"] * 2)
    assert two == ["Subject line\nbody a", "Subject line\nbody b"]   # two pages: too few to call it a template
