"""Inspection helpers on a fitted text classifier: tables, HTML, plots, datasets."""

import matplotlib
import numpy as np
import pandas as pd
import pytest

from skattn import AttentionTextClassifier
from skattn.datasets import load_movie_reviews
from skattn.inspection import HighlightedText, highlight_html, plot_top_tokens, top_tokens

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def fitted():
    docs = ["a <b>great</b> film", "a dull film", "great cast", "dull plot & script"] * 10
    labels = ["pos", "neg", "pos", "neg"] * 10
    clf = AttentionTextClassifier(embedding_dim=8, max_epochs=3, lr=0.05, random_state=0)
    return clf.fit(docs, labels)


def test_top_tokens_filters_by_count(fitted):
    table = top_tokens(fitted, 5, min_count=10)
    assert list(table.columns) == ["attention", "count"]
    assert (table["count"] >= 10).all() and table["attention"].is_monotonic_decreasing
    assert len(top_tokens(fitted, 5, min_count=1000)) == 0


def test_highlight_html_escapes_and_scales(fitted, tmp_path):
    explanation = fitted.explain(["a <b>great</b> film", ""], method="attention")
    page = highlight_html(explanation, samples=[0, 1], captions=["first", "second"])
    assert isinstance(page, HighlightedText) and page._repr_html_() == str(page)
    assert "&lt;" in page and "<b>" not in page, "tokens must be HTML-escaped"
    assert "(no tokens)" in page and "first" in page
    # The most attended token of the document is fully opaque.
    assert "0.000)" not in page.split("rgba")[1] or "1.000)" in page
    weights = explanation.loc[explanation["sample"] == 0, "weight"].to_numpy()
    assert page.count("1.000)") == int((np.round(weights / weights.max(), 3) == 1).sum()) >= 1
    assert "skattn-legend" not in page, "attention is not signed: no legend"
    # Signed scores: a diverging scale, both signs visible, with a legend.
    signed = fitted.explain(["a great film , a boring plot"], method="contribution")
    assert (signed["weight"] < 0).any() and (signed["weight"] > 0).any()
    page_signed = highlight_html(signed)
    assert "skattn-legend" in page_signed and "-" not in page_signed.split("rgba(")[1].split(")")[0]
    assert "rgba(33, 102, 172" in page_signed and "rgba(220, 50, 32" in page_signed
    path = page.save(tmp_path / "attention.html")
    assert "<!DOCTYPE html>" in open(path, encoding="utf-8").read()
    with pytest.raises(TypeError, match="explain"):
        highlight_html(pd.DataFrame({"x": [1]}))


def test_plot_top_tokens(fitted):
    ax = plot_top_tokens(fitted, 3, min_count=1)
    ticks = {t.get_text(): y for t, y in zip(ax.get_yticklabels(), ax.get_yticks())}
    table = top_tokens(fitted, 3, min_count=1)
    # The most attended token is drawn at the top, and bar lengths are the weights.
    assert sorted(ticks, key=ticks.get, reverse=True) == table.index.tolist()
    widths = sorted((p.get_width() for p in ax.patches), reverse=True)
    np.testing.assert_allclose(widths, table["attention"].to_numpy(), rtol=1e-6)


def test_load_movie_reviews_forms():
    X, y = load_movie_reviews(return_X_y=True)
    assert X.shape == (10662,) and isinstance(X[0], str)
    assert sorted(pd.Series(y).value_counts().tolist()) == [5331, 5331]
    bunch = load_movie_reviews(as_frame=True)
    assert list(bunch.frame.columns) == ["text", "label"]
    assert bunch.target_names.tolist() == ["neg", "pos"] and "CC BY 4.0" in bunch.DESCR
    assert np.array_equal(bunch.data.to_numpy(), X)


def test_highlight_merges_word_pieces_and_hides_special_tokens():
    import pandas as pd

    explanation = pd.DataFrame({
        "sample": [0] * 5, "position": range(5),
        "token": ["[CLS]", "un", "##believ", "##able", "[SEP]"],
        "in_vocabulary": True, "special": [True, False, False, False, True],
        "weight": [0.9, 0.02, 0.03, 0.01, 0.04],
    })
    page = highlight_html(explanation, merge_pieces=True, hide_special=True)
    assert ">unbelievable</span>" in page and "[CLS]" not in page and "##" not in page
    assert 'title="0.060"' in page and page.count("1.000)") == 1  # the merged word fills the scale
    shown = highlight_html(explanation)
    assert "[CLS]" in shown and ">##able</span>" in shown
