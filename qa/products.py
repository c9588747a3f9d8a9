"""Words that tell products apart, for product lists that have ids but no names (SubjQA's ASINs).

Each product's reviews are one document for scikit-learn's TF-IDF (English stop words removed,
sub-linear term frequency, words in at least two products): a product's highest-weighted words are
what its reviews say more than other products' reviews do ("kindle, fire, books").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

#: Words per product.
KEYWORDS = 3
#: Tokens: letters only, three or more (no numbers, model codes or HTML entities such as &#34;).
WORD_PATTERN = r"(?u)\b[^\W\d_]{3,}\b"


def distinctive_words(texts: Mapping[str, Sequence[str]], n: int = KEYWORDS) -> dict[str, tuple[str, ...]]:
    """The `n` highest TF-IDF words of each product's reviews (`texts`: product id -> review texts)."""
    products = [p for p, reviews in texts.items() if any(r.strip() for r in reviews)]
    if len(products) < 2:  # TF-IDF needs other products to compare with
        return {p: () for p in texts}
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        stop_words="english", sublinear_tf=True, min_df=2, max_df=0.5, token_pattern=WORD_PATTERN
    )
    try:
        weights = vectorizer.fit_transform(" ".join(texts[p]) for p in products).tocsr()
    except ValueError:  # no word is shared by two products
        return {p: () for p in texts}
    vocabulary = vectorizer.get_feature_names_out()
    found: dict[str, tuple[str, ...]] = {p: () for p in texts}
    for row, product in enumerate(products):
        start, end = weights.indptr[row], weights.indptr[row + 1]
        ranked = sorted(zip(weights.data[start:end], weights.indices[start:end], strict=True), key=lambda w: -w[0])
        found[product] = tuple(str(vocabulary[i]) for _, i in ranked[:n])
    return found
