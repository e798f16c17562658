"""AttentionSeq2Seq: learning dates, alignment, decoding, BLEU, sklearn fit, bad input."""

import datetime
import math
import pickle
import time

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV

from skattn import AttentionSeq2Seq
from skattn.datasets import load_tatoeba_en_fr, make_dates
from skattn.nn import Seq2SeqModule
from skattn.seq2seq import Alignment, corpus_bleu, exact_match_score

TINY = dict(source_analyzer="char", target_analyzer="char", embedding_dim=16, hidden_size=32,
            lr=0.02, batch_size=32, random_state=0)
GROUPS = {"year": [0, 1, 2, 3], "month": [5, 6], "day": [8, 9]}  # rows of YYYY-MM-DD


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    # Tiny recurrent models run fastest on one thread (and do not stall when
    # the CPU is shared); restore the caller's setting afterwards.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def dates_model():
    X, y = make_dates(800, random_state=0)
    return AttentionSeq2Seq(max_epochs=8, **TINY).fit(X, y)


@pytest.fixture(scope="module")
def held_out():
    return make_dates(100, random_state=1, return_spans=True)


def alignment_hits(alignments, spans):
    """Per field: does the summed attention of its output digits peak inside the
    source characters that write that field?"""
    hits = {field: [] for field in GROUPS}
    for alignment, span in zip(alignments, spans):
        for field, rows in GROUPS.items():
            peak = alignment.weights[rows].sum(0).argmax()
            start, stop = span[field]
            hits[field].append(start <= peak < stop)
    return {field: float(np.mean(h)) for field, h in hits.items()}


# -- learning and alignment -------------------------------------------------


def test_learns_dates_and_aligns_fields(dates_model, held_out):
    X, y, spans = held_out
    assert exact_match_score(y, dates_model.predict(X)) >= 0.8
    hits = alignment_hits(dates_model.explain(X, y), spans)
    assert min(hits.values()) >= 0.9, hits


def test_explain_generated_outputs(dates_model):
    alignments = dates_model.explain(["25 June 1957", "1.2.2003", ""])
    assert all(isinstance(a, Alignment) for a in alignments)
    first = alignments[0]
    assert first.source_tokens == list("25 june 1957")
    assert "".join(first.target_tokens[:-1]) == dates_model.predict(["25 June 1957"])[0]
    assert first.target_tokens[-1] == "<eos>"
    assert first.weights.shape == (len(first.target_tokens), len(first.source_tokens))
    np.testing.assert_allclose(first.weights.sum(1), 1.0, rtol=1e-5)
    # The day of "25 June 1957" is read from "25", the year from "1957".
    assert first.weights[GROUPS["day"]].sum(0).argmax() in (0, 1)
    assert first.weights[GROUPS["year"]].sum(0).argmax() in range(8, 12)
    # An empty source still decodes: rows over zero source tokens.
    empty = alignments[2]
    assert empty.source_tokens == [] and empty.weights.shape == (len(empty.target_tokens), 0)


def test_explain_given_targets_and_unknown_tokens(dates_model):
    (forced,) = dates_model.explain(["3 march 2021 \u00a7"], ["2021-03-03"])
    assert forced.target_tokens == list("2021-03-03") + ["<eos>"]
    assert forced.source_tokens[-1] == "\u00a7", "out-of-vocabulary tokens are shown as written"
    assert forced.weights.shape == (11, 14)
    np.testing.assert_allclose(forced.weights.sum(1), 1.0, rtol=1e-5)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        dates_model.explain(["3 march 2021"], ["2021-03-03", "x"])


def test_predict_empty_and_unusual_sources(dates_model):
    out = dates_model.predict(["", "   ", "zzzz", "3 March 2021"])
    assert len(out) == 4 and all(isinstance(s, str) for s in out)
    assert all(len(s) <= dates_model.max_output_len for s in out)
    with pytest.raises(ValueError, match="0 document"):
        dates_model.predict([])


def test_beam_search(dates_model, held_out):
    X, y, _ = held_out
    greedy = dates_model.predict(X)
    beam = clone(dates_model).set_params(beam_width=3)  # unfitted clone ...
    with pytest.raises(NotFittedError):
        beam.predict(X)
    dates_model.set_params(beam_width=3)
    try:
        beamed = dates_model.predict(X)
        alignments = dates_model.explain(X[:5])
    finally:
        dates_model.set_params(beam_width=1)
    assert exact_match_score(y, beamed) >= exact_match_score(y, greedy) - 0.02
    for a, text in zip(alignments, beamed[:5]):
        assert "".join(a.target_tokens[:-1]) == text
        np.testing.assert_allclose(a.weights.sum(1), 1.0, rtol=1e-5)


def test_max_output_len_caps_outputs(dates_model):
    dates_model.set_params(max_output_len=4)
    try:
        out = dates_model.predict(["3 March 2021", "12/12/1999"])
        (alignment,) = dates_model.explain(["3 March 2021"])
    finally:
        dates_model.set_params(max_output_len=64)
    assert all(len(s) <= 4 for s in out)
    assert len(alignment.target_tokens) == 4 and "<eos>" not in alignment.target_tokens


def test_score_is_bleu_and_gridsearch_uses_it(held_out):
    X, y = make_dates(240, random_state=2)
    X_test, y_test, _ = held_out
    search = GridSearchCV(AttentionSeq2Seq(**TINY), {"max_epochs": [0, 4]}, cv=2).fit(X, y)
    assert search.best_params_ == {"max_epochs": 4}
    scores = search.cv_results_["mean_test_score"]
    assert 0.0 <= scores[0] < scores[1] <= 1.0
    model = search.best_estimator_
    tokenize = model.target_vectorizer_.tokenize
    expected = corpus_bleu(tokenize(y_test), tokenize(model.predict(X_test)))
    assert model.score(X_test, y_test) == pytest.approx(expected)


@pytest.mark.parametrize(
    "params",
    [
        dict(rnn="lstm"),
        dict(attention="dot"),
        dict(attention="general", teacher_forcing_ratio=0.5),
        dict(source_analyzer="word", target_analyzer="word", module__bidirectional=False),
    ],
)
def test_variants_train(params):
    X, y = make_dates(160, random_state=3)
    model = AttentionSeq2Seq(**{**TINY, "max_epochs": 4, **params}).fit(X, y)
    losses = model.history[:, "train_loss"]
    assert losses[-1] < 0.8 * losses[0]
    assert isinstance(model.module_, Seq2SeqModule)
    out = model.predict(X[:3])
    assert len(out) == 3 and all(isinstance(s, str) for s in out)
    if params.get("target_analyzer") == "word":
        # word targets: "1957-06-25" is the tokens 1957 - 06 - 25, joined by spaces
        assert model.target_vectorizer_.tokenize(["1957-06-25"]) == [["1957", "-", "06", "-", "25"]]


def test_word_level_translation_runs_on_tatoeba():
    pairs = load_tatoeba_en_fr()
    assert len(pairs.data) == len(pairs.target) == len(pairs.attribution) == 5000
    assert all(a.startswith("CC-BY 2.0 (France) Attribution: tatoeba.org") for a in pairs.attribution)
    X, y = pairs.data[:200], pairs.target[:200]
    model = AttentionSeq2Seq(embedding_dim=16, hidden_size=16, max_epochs=3, lr=0.02,
                             random_state=0, max_output_len=8).fit(X, y)
    losses = model.history[:, "train_loss"]
    assert losses[-1] < losses[0]
    out = model.predict(X[:4])
    assert all(isinstance(s, str) and len(s.split()) <= 8 for s in out)
    assert 0.0 <= model.score(X[:50], y[:50]) <= 1.0


# -- sklearn conventions ----------------------------------------------------------


def test_reproducible_pickle_and_clone(dates_model):
    X, y = make_dates(100, random_state=4)
    a = AttentionSeq2Seq(**{**TINY, "max_epochs": 1}).fit(X, y)
    b = AttentionSeq2Seq(**{**TINY, "max_epochs": 1}).fit(X, y)
    np.testing.assert_array_equal(a.predict(X[:10]), b.predict(X[:10]))
    restored = pickle.loads(pickle.dumps(dates_model))
    probe = ["4 July 1976", "Wed 3 Mar 21", ""]
    np.testing.assert_array_equal(restored.predict(probe), dates_model.predict(probe))
    twin = clone(AttentionSeq2Seq(source_vectorizer__max_len=7, attention="dot"))
    assert twin.get_params()["source_vectorizer__max_len"] == 7
    assert twin.fit(X, y).source_vectorizer_.max_len == 7
    assert twin.source_vectorizer_.analyzer == "word" and not hasattr(twin, "vocabulary_")


def test_partial_fit_keeps_vocabulary():
    X, y = make_dates(100, random_state=5)
    model = AttentionSeq2Seq(**{**TINY, "max_epochs": 1}).fit(X, y)
    vocabulary = dict(model.target_vectorizer_.vocabulary_)
    model.partial_fit(X, y)
    assert len(model.history) == 2 and model.target_vectorizer_.vocabulary_ == vocabulary


# -- bad input ----------------------------------------------------------------------


def test_bad_input_errors():
    model = AttentionSeq2Seq(**{**TINY, "max_epochs": 1})
    X, y = ["3 March 2021", "4 May 1999"], ["2021-03-03", "1999-05-04"]
    with pytest.raises(ValueError, match="requires y"):
        model.fit(X, None)
    with pytest.raises(ValueError, match="X \\(source texts\\) is required"):
        model.fit(None, y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples: 2 source texts and 1"):
        model.fit(X, y[:1])
    with pytest.raises(ValueError, match="missing document"):
        model.fit(["3 March 2021", None], y)
    with pytest.raises(ValueError, match="y \\(target texts\\) contains 1 empty"):
        model.fit(X, ["2021-03-03", ""])
    with pytest.raises(ValueError, match="X \\(source texts\\) contains 1 empty"):
        model.fit(["  ", "4 May 1999"], y)
    with pytest.raises(TypeError, match="single str"):
        model.fit("3 March 2021", y)
    with pytest.raises(TypeError, match="only str"):
        model.fit([3, "4 May 1999"], y)
    with pytest.raises(NotFittedError):
        model.predict(X)
    with pytest.raises(ValueError, match="attention"):
        AttentionSeq2Seq(attention="scaled").fit(X, y)
    with pytest.raises(ValueError, match="hidden_size=33 must be even"):
        AttentionSeq2Seq(hidden_size=33).fit(X, y)
    with pytest.raises(ValueError, match="teacher_forcing_ratio"):
        AttentionSeq2Seq(teacher_forcing_ratio=1.5).fit(X, y)
    model.fit(X, y)
    with pytest.raises(ValueError, match="X \\(source texts\\) is required"):
        model.predict(None)
    with pytest.raises(ValueError, match="missing document"):
        model.predict(["3 March 2021", float("nan")])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        model.score(X, y[:1])
    # skorch's raw-output methods: hidden, or a clear error for texts.
    assert not hasattr(model, "predict_proba")
    calls = (model.forward, lambda X: next(model.forward_iter(X)), model.infer)
    for call in calls:
        with pytest.raises(TypeError, match="pass texts to fit, predict"):
            call(X)


# -- torch module -------------------------------------------------------------------


@pytest.fixture(scope="module")
def module():
    torch.manual_seed(0)
    return Seq2SeqModule(12, 9, embedding_dim=8, hidden_size=8).eval()


def test_module_forward_returns_logits_only_and_ignores_padding(module):
    source = torch.tensor([[3, 4, 5, 0, 0], [6, 0, 0, 0, 0], [0, 0, 0, 0, 0]])
    target = torch.tensor([[4, 5, 2], [3, 2, 0], [2, 0, 0]])
    logits = module(source, target)
    assert isinstance(logits, torch.Tensor) and logits.shape == (3, 3, 9)
    assert torch.isfinite(logits).all(), "an empty source gives finite logits"
    torch.testing.assert_close(module(source[:, :3], target), logits)  # less padding


def test_module_teacher_forcing_ratio():
    torch.manual_seed(0)
    net = Seq2SeqModule(12, 9, embedding_dim=8, hidden_size=8, teacher_forcing_ratio=0.0)
    source, target = torch.randint(3, 12, (4, 6)), torch.randint(3, 9, (4, 5))
    free = net(source, target)  # training mode: feeds its own argmax
    net.eval()
    forced = net(source, target)  # evaluation: always teacher forcing
    assert not torch.allclose(free[:, 1:], forced[:, 1:])
    torch.testing.assert_close(free[:, 0], forced[:, 0])
    with pytest.raises(ValueError, match="teacher_forcing_ratio"):
        Seq2SeqModule(12, 9, teacher_forcing_ratio=2.0)


def test_module_beam_width_one_is_greedy_and_beams_score_higher(module):
    torch.manual_seed(1)
    source = torch.randint(3, 12, (6, 7))
    greedy, w = module.greedy_decode(source, 6, need_weights=True)
    same, _ = module.beam_decode(source, 1, 6)
    torch.testing.assert_close(greedy, same)
    assert w.shape == (6, greedy.shape[1], 7)
    beam, bw = module.beam_decode(source, 4, 6, need_weights=True)
    assert bw.shape == (6, beam.shape[1], 7)
    assert ((beam == 0) | (beam > 2)).logical_or(beam == 2).all(), "never BOS"

    def mean_log_prob(tokens):
        # teacher-forced log-probability of each decoded sequence, per token
        ended = (tokens == 2).cumsum(1)
        keep = (ended == 0) | ((ended == 1) & (tokens == 2))
        target = tokens.masked_fill(~keep, 0)
        logp = module._log_probs(module(source, target).reshape(-1, 9)).reshape(*target.shape, 9)
        chosen = logp.gather(2, target.unsqueeze(2)).squeeze(2).masked_fill(~keep, 0.0)
        return chosen.sum(1) / keep.sum(1)

    assert (mean_log_prob(beam) >= mean_log_prob(greedy) - 1e-4).float().mean() >= 0.8


# -- metrics, data, plots ---------------------------------------------------------------


def test_corpus_bleu_values():
    ref = "the cat is on the mat".split()
    assert corpus_bleu([ref], [ref]) == 1.0
    assert corpus_bleu([ref], [["dog"]]) == 0.0
    assert corpus_bleu([ref], [[]]) == 0.0
    # Hand computation: hypothesis "the cat the mat" against the reference.
    # p1 = 4/4, p2 = 2/3 ("the cat", "the mat"), p3 = 0/2 -> BLEU-4 = 0, BLEU-2:
    hyp = "the cat the mat".split()
    bp = math.exp(1 - 6 / 4)
    assert corpus_bleu([ref], [hyp], max_n=2) == pytest.approx(bp * math.sqrt(1 * 2 / 3))
    # Pooled over the corpus, not averaged per sentence.
    refs = [["a", "b", "c", "d"], ["e", "f", "g", "h"]]
    hyps = [["a", "b", "c", "d"], ["e", "f", "x", "h"]]
    p = [7 / 8, 4 / 6, 2 / 4, 1 / 2]
    assert corpus_bleu(refs, hyps) == pytest.approx(math.exp(sum(map(math.log, p)) / 4))
    with pytest.raises(ValueError, match="different lengths"):
        corpus_bleu(refs, hyps[:1])
    assert exact_match_score(["a", "b"], ["a", "c"]) == 0.5


def test_make_dates_spans_and_iso_targets():
    X, y, spans = make_dates(500, random_state=7, return_spans=True)
    X2, y2 = make_dates(500, random_state=7)
    assert X.tolist() == X2.tolist() and y.tolist() == y2.tolist()
    assert len(set(X)) > 450
    for text, iso, span in zip(X, y, spans):
        date = datetime.date.fromisoformat(iso)
        assert datetime.date(1950, 1, 1) <= date <= datetime.date(2049, 12, 31)
        day, month, year = (text[slice(*span[k])] for k in ("day", "month", "year"))
        assert int(day) == date.day
        assert int(year) == (date.year if len(year) == 4 else date.year % 100)
        if month.isdigit():
            assert int(month) == date.month
        else:
            assert date.strftime("%B").startswith(month)


def test_plot_alignment(dates_model, tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from skattn.inspection import plot_alignment

    alignment = dates_model.explain(["3 March 2021"])[0]
    ax = plot_alignment(alignment, annotate=True, title="dates")
    assert "".join(t.get_text() for t in ax.get_xticklabels()) == "3\u2423march\u24232021"
    image = ax.get_images()[0].get_array()
    np.testing.assert_allclose(np.asarray(image), alignment.weights)
    assert [t.get_text() for t in ax.get_yticklabels()] == alignment.target_tokens
    ax.figure.savefig(tmp_path / "alignment.png")
    plt.close(ax.figure)
    with pytest.raises(TypeError, match="explain"):
        plot_alignment(np.eye(3))
    with pytest.raises(ValueError, match="do not match"):
        plot_alignment(Alignment(["a"], ["b", "c"], np.ones((1, 1))))


# -- the full task (minutes) ----------------------------------------------------------


@pytest.mark.slow
def test_dates_exact_match_and_alignment_full():
    X, y = make_dates(10000, random_state=0)
    X_test, y_test, spans = make_dates(1200, random_state=123, return_spans=True)
    unseen = ~np.isin(y_test, y)  # held-out dates: none of them seen in training
    X_test, y_test = X_test[unseen][:1000], y_test[unseen][:1000]
    spans = [s for s, keep in zip(spans, unseen) if keep][:1000]
    start = time.perf_counter()
    model = AttentionSeq2Seq(source_analyzer="char", target_analyzer="char", max_epochs=10,
                             lr=0.01, random_state=0).fit(X, y)
    accuracy = exact_match_score(y_test, model.predict(X_test))
    hits = alignment_hits(model.explain(X_test, y_test), spans)
    print(f"exact match {accuracy:.4f}, alignment {hits}, {time.perf_counter() - start:.0f} s")
    assert accuracy >= 0.9
    assert min(hits.values()) >= 0.9, hits
