"""AttentionEncoder: supervised and self-supervised training, sklearn transformer API."""

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from skattn import AttentionEncoder
from skattn.nn.masked import IGNORE_INDEX, MaskedTokenLoss, MaskedTokenModule, mask_tokens
from skattn.nn.text import TextAttentionModule
from test_text import FAST, TRIGGERS, make_trigger_task

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="module")
def subjectivity():
    path = DATA / "subjectivity.csv"
    if not path.exists():
        pytest.skip(f"{path} is absent (real data set of the benchmarks)")
    frame = pd.read_csv(path).sample(200, random_state=0).reset_index(drop=True)
    # A numeric column next to the text, for ColumnTransformer.
    frame["n_chars"] = frame["text"].str.len().astype(float)
    return frame


@pytest.fixture(scope="module")
def supervised(subjectivity):
    enc = AttentionEncoder(vectorizer__max_len=16, **FAST)
    return enc.fit(subjectivity["text"], subjectivity["label"])


@pytest.fixture(scope="module")
def self_supervised(subjectivity):
    enc = AttentionEncoder(vectorizer__max_len=16, **dict(FAST, max_epochs=4))
    return enc.fit(subjectivity["text"])


def test_pipeline_learns_from_the_encoder():
    (X, y), (X_test, y_test) = make_trigger_task(200, 0), make_trigger_task(100, 1)
    pipe = Pipeline([("enc", AttentionEncoder(**FAST)), ("clf", LogisticRegression())])
    pipe.fit(X, y)
    assert pipe.named_steps["enc"].objective_ == "classification"
    assert pipe.score(X_test, y_test) >= 0.95
    # The encoder's attention is inspectable inside the pipeline.
    explanation = pipe.named_steps["enc"].explain(X_test, method="attention")
    assert explanation.loc[explanation["token"].isin(TRIGGERS), "weight"].mean() >= 0.5
    assert np.allclose(explanation.groupby("sample")["weight"].sum(), 1.0, atol=1e-5)


def test_transform_shape_names_and_pandas_output(supervised, subjectivity):
    X = subjectivity["text"][:10]
    Z = supervised.transform(X)
    assert Z.shape == (10, 16) and Z.dtype == np.float32 and np.isfinite(Z).all()
    assert supervised.n_components_ == 16
    names = supervised.get_feature_names_out()
    assert names.tolist() == [f"attentionencoder{i}" for i in range(16)]
    try:
        frame = supervised.set_output(transform="pandas").transform(X)
    finally:
        supervised.set_output(transform="default")
    assert isinstance(frame, pd.DataFrame)
    assert frame.columns.tolist() == names.tolist()
    assert frame.index.tolist() == X.index.tolist()
    np.testing.assert_array_equal(frame.to_numpy(), Z)


def test_transform_is_batched_deterministic_and_survives_pickle(supervised, subjectivity):
    X = subjectivity["text"]
    Z = supervised.transform(X)
    np.testing.assert_array_equal(supervised.transform(X), Z)
    # Batch composition does not matter (batch_size 16 < 200 documents).
    np.testing.assert_allclose(supervised.transform(X[5:9]), Z[5:9], atol=1e-6)
    restored = pickle.loads(pickle.dumps(supervised))
    np.testing.assert_array_equal(restored.transform(X), Z)


def test_embeddings_follow_the_labels(supervised, subjectivity):
    """After supervised training, documents of the same class lie closer together."""
    Z = supervised.transform(subjectivity["text"])
    labels = subjectivity["label"].to_numpy()
    Z = Z / np.linalg.norm(Z, axis=1, keepdims=True)
    sim = Z @ Z.T
    same = labels[:, None] == labels[None, :]
    off_diag = ~np.eye(len(Z), dtype=bool)
    assert sim[same & off_diag].mean() > sim[~same].mean() + 0.1


def test_objective_is_inferred_from_y(subjectivity):
    X = subjectivity["text"][:60]
    reg = AttentionEncoder(max_epochs=1, embedding_dim=8, random_state=0).fit(
        X, subjectivity["n_chars"][:60]
    )
    assert reg.objective_ == "regression" and reg.n_outputs_ == 1 and reg.classes_ is None
    assert isinstance(reg.module_, TextAttentionModule)
    assert isinstance(reg.criterion_, torch.nn.MSELoss)
    clf = AttentionEncoder(max_epochs=1, embedding_dim=8, random_state=0).fit(
        X, subjectivity["label"][:60]
    )
    assert clf.objective_ == "classification"
    assert sorted(clf.classes_) == ["objective", "subjective"]
    forced = AttentionEncoder(task="regression", max_epochs=1, embedding_dim=8).fit(
        X, (subjectivity["label"][:60] == "subjective").astype(int)
    )
    assert forced.objective_ == "regression"
    masked = AttentionEncoder(task="masked_tokens", max_epochs=1, embedding_dim=8).fit(
        X, subjectivity["label"][:60]
    )
    assert masked.objective_ == "masked_tokens" and masked.classes_ is None


def test_self_supervised_masked_token_training(self_supervised, subjectivity):
    enc = self_supervised
    assert enc.objective_ == "masked_tokens" and enc.classes_ is None
    assert isinstance(enc.module_, MaskedTokenModule)
    n_tokens = len(enc.vectorizer_.vocabulary_)
    assert enc.module_.mask_id == n_tokens
    assert enc.module_.encoder.embedding.num_embeddings == n_tokens + 1
    losses = enc.history[:, "train_loss"]
    # Starts near a uniform guess over the vocabulary, then learns.
    assert losses[0] < np.log(n_tokens) + 0.5
    assert losses[-1] < losses[0] - 0.3
    Z = enc.transform(subjectivity["text"][:20])
    assert Z.shape == (20, 16) and np.isfinite(Z).all()
    np.testing.assert_array_equal(enc.transform(subjectivity["text"][:20]), Z)
    explanation = enc.explain(subjectivity["text"][:3])  # masked tokens: attention
    assert np.allclose(explanation.groupby("sample")["weight"].sum(), 1.0, atol=1e-5)
    assert enc.token_attention_.is_monotonic_decreasing


def test_mask_tokens_scheme():
    torch.manual_seed(0)
    x = torch.randint(2, 50, (400, 30))
    x[:, 20:] = 0  # padding
    x[-1] = 0  # a row without tokens
    corrupted, targets = mask_tokens(x, mask_id=50, vocab_size=50, rate=0.15)
    chosen = targets != IGNORE_INDEX
    assert not chosen[:, 20:].any() and not chosen[-1].any()
    assert chosen[:-1].any(1).all()  # every row with tokens has a target
    assert torch.equal(targets[chosen], x[chosen])
    assert abs(chosen[:-1, :20].float().mean().item() - 0.15) < 0.03
    masked_share = (corrupted[chosen] == 50).float().mean().item()
    assert abs(masked_share - 0.8) < 0.05
    assert torch.equal(corrupted[~chosen], x[~chosen])
    assert corrupted.max() <= 50 and (corrupted[chosen & (corrupted != 50)] >= 2).all()


def test_masked_token_loss_matches_cross_entropy():
    torch.manual_seed(0)
    logits = torch.randn(3, 7)
    targets = torch.tensor([[4, IGNORE_INDEX, 2], [IGNORE_INDEX] * 3, [6, 6, IGNORE_INDEX]])
    expected = torch.nn.functional.cross_entropy(
        logits[[0, 0, 2, 2]], torch.tensor([4, 2, 6, 6])
    )
    torch.testing.assert_close(MaskedTokenLoss()(logits, targets), expected)


def test_column_transformer_with_text_and_numeric_columns(subjectivity):
    frame = subjectivity[["text", "n_chars"]]
    columns = ColumnTransformer(
        [
            ("enc", AttentionEncoder(embedding_dim=8, max_epochs=2, random_state=0), "text"),
            ("num", StandardScaler(), ["n_chars"]),
        ]
    ).set_output(transform="pandas")
    out = columns.fit_transform(frame, subjectivity["label"])
    assert out.shape == (200, 9)
    assert out.columns[0] == "enc__attentionencoder0" and out.columns[-1] == "num__n_chars"
    pipe = make_pipeline(clone(columns), LogisticRegression()).fit(frame, subjectivity["label"])
    assert set(pipe.predict(frame[:5])) <= {"objective", "subjective"}


def test_partial_fit_keeps_objective_and_vocabulary(subjectivity):
    X, y = subjectivity["text"][:80], subjectivity["label"][:80]
    enc = AttentionEncoder(embedding_dim=8, max_epochs=1, random_state=0).fit(X, y)
    vocabulary = enc.vectorizer_.vocabulary_
    enc.partial_fit(subjectivity["text"][80:160], subjectivity["label"][80:160])
    assert len(enc.history) == 2 and enc.vectorizer_.vocabulary_ is vocabulary
    with pytest.raises(ValueError, match="objective 'classification'"):
        enc.partial_fit(X)
    # One-class batches keep the classes (and label indices) of the first fit.
    classes = enc.classes_.tolist()
    one = subjectivity["label"] == classes[1]
    enc.partial_fit(subjectivity["text"][one][:20], subjectivity["label"][one][:20])
    assert enc.classes_.tolist() == classes and enc.n_outputs_ == 2
    with pytest.raises(ValueError, match=r"labels not in classes .*'neutral'"):
        enc.partial_fit(X[:2], ["neutral", classes[0]])


def test_empty_document_gives_zero_vector(supervised):
    Z = supervised.transform(["", "a sentence"])
    assert np.array_equal(Z[0], np.zeros(16, dtype=np.float32))
    assert np.abs(Z[1]).sum() > 0


def test_bad_input_and_parameters(supervised):
    with pytest.raises(NotFittedError):
        AttentionEncoder().transform(["a b"])
    with pytest.raises(NotFittedError):
        AttentionEncoder().get_feature_names_out()
    with pytest.raises(TypeError, match="single str"):
        supervised.transform("one document")
    with pytest.raises(ValueError, match="missing"):
        supervised.transform(["ok", None])
    with pytest.raises(InvalidParameterError):
        AttentionEncoder(task="ranking").fit(["a b", "c d"], [0, 1])
    with pytest.raises(InvalidParameterError):
        AttentionEncoder(mask_rate=1.5).fit(["a b", "c d"])
    with pytest.raises(ValueError, match="infer the task"):
        AttentionEncoder().fit(["a b", "c d"], [[0, 1], [1, 0]])
    with pytest.raises(ValueError, match="one class"):
        AttentionEncoder().fit(["a b", "c d"], ["x", "x"])
    with pytest.raises(RuntimeError, match="call fit"):
        AttentionEncoder().initialize()


def test_clone_and_params():
    enc = AttentionEncoder(embedding_dim=8, mask_rate=0.3, vectorizer__max_len=10)
    params = clone(enc).get_params()
    assert params["mask_rate"] == 0.3 and params["vectorizer__max_len"] == 10
    assert params["task"] == "auto"
    assert enc.__sklearn_tags__().target_tags.required is False
    assert enc.__sklearn_tags__().transformer_tags is not None
