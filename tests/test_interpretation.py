"""Interpretation beyond raw weights: rollout, per-head layers, bertviz export,
gradient attribution and the faithfulness report."""

import json

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from skattn import AttentionTextClassifier, AttentionTextRegressor
from skattn.inspection import (
    attention_rollout,
    delete_tokens,
    embedding_attribution,
    faithfulness_report,
    plot_faithfulness,
    pooling_rollout,
    rank_correlation,
    to_bertviz,
)
from test_text import FAST, TRIGGERS, make_trigger_task

ENCODERS = ["pooling", "gru", "transformer"]


def _random_layers(rng, n_layers, B=3, H=2, T=5, lengths=(5, 3, 1)):
    """Softmax weights over the real keys of right-padded rows."""
    real = np.arange(T)[None, :] < np.array(lengths)[:, None]  # (B, T)
    layers = []
    for _ in range(n_layers):
        scores = np.exp(rng.normal(size=(B, H, T, T))) * real[:, None, None, :]
        layers.append(scores / scores.sum(-1, keepdims=True))
    return layers, real


def test_rollout_rows_sum_to_one_and_single_layer_equals_raw():
    rng = np.random.default_rng(0)
    layers, real = _random_layers(rng, 3)
    rolled = attention_rollout(layers)
    assert rolled.shape == (3, 5, 5)
    np.testing.assert_allclose(rolled.sum(-1)[real], 1.0, rtol=1e-12)
    real_row_pad_col = real[:, :, None] & ~real[:, None, :]  # (B, T, T)
    assert (rolled[real_row_pad_col] == 0).all(), "no flow from padding into real rows"

    # One layer, pure product: the raw (head-averaged) attention itself.
    np.testing.assert_allclose(attention_rollout(layers[:1], residual=False), layers[0].mean(1))
    fused = layers[0].max(1)
    np.testing.assert_allclose(
        attention_rollout(layers[:1], head_fusion="max", residual=False),
        fused / fused.sum(-1, keepdims=True),
    )
    # One layer with the residual identity: 0.5 A + 0.5 I on real rows.
    expected = 0.5 * layers[0].mean(1) + 0.5 * np.eye(5)
    np.testing.assert_allclose(attention_rollout(layers[:1])[real], expected[real])
    # Later layers act on earlier ones' outputs: R = A_2 A_1.
    a1, a2 = layers[0].mean(1), layers[1].mean(1)
    np.testing.assert_allclose(attention_rollout(layers[:2], residual=False), a2 @ a1)

    pooling = rng.random((3, 5)) * real
    pooling /= pooling.sum(1, keepdims=True)
    np.testing.assert_array_equal(pooling_rollout(pooling), pooling)
    flowed = pooling_rollout(pooling, layers)
    np.testing.assert_allclose(flowed.sum(1), 1.0)
    np.testing.assert_allclose(flowed, np.einsum("bt,bts->bs", pooling, rolled))


def test_rollout_rejects_bad_shapes():
    with pytest.raises(ValueError, match="at least one layer"):
        attention_rollout([])
    with pytest.raises(ValueError, match=r"\(batch, heads, T, T\)"):
        attention_rollout([np.ones((2, 3, 4))])
    with pytest.raises(ValueError, match="share one shape"):
        attention_rollout([np.ones((1, 2, 3, 3)), np.ones((1, 2, 4, 4))])
    with pytest.raises(ValueError, match="head_fusion"):
        attention_rollout([np.ones((1, 2, 3, 3))], head_fusion="median")
    with pytest.raises(ValueError, match="do not match"):
        pooling_rollout(np.ones((1, 4)), [np.ones((1, 2, 3, 3))])


def test_delete_tokens_removes_top_k_and_repads():
    ids = np.array([[5, 6, 7, 8], [9, 10, 0, 0], [11, 0, 0, 0]])
    scores = np.array([[0.1, 0.5, 0.2, 0.5], [0.3, 0.3, 9.0, 9.0], [1.0, 0, 0, 0]])
    np.testing.assert_array_equal(
        delete_tokens(ids, scores, 1), [[5, 7, 8, 0], [10, 0, 0, 0], [0, 0, 0, 0]]
    )  # ties go to the earlier position; padding is never picked
    np.testing.assert_array_equal(
        delete_tokens(ids, scores, 2), [[5, 7, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    )


class _BagModel(nn.Module):
    """Embedding, tanh of the summed embeddings, linear read-out."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(12, 4, padding_idx=0)
        self.out = nn.Linear(4, 2)

    def forward(self, x):
        return self.out(torch.tanh(self.embedding(x).sum(1)))


def test_embedding_attribution_gradient_and_integrated_gradients():
    torch.manual_seed(0)
    model = _BagModel().eval()
    x = torch.tensor([[3, 5, 7, 0], [2, 0, 0, 0]])
    target = lambda out: out[:, 1]  # noqa: E731
    grad_x_input = embedding_attribution(model, model.embedding, x, target)
    emb = model.embedding(x).detach().requires_grad_(True)
    value = model.out(torch.tanh(emb.sum(1)))[:, 1]
    (grad,) = torch.autograd.grad(value.sum(), emb)
    torch.testing.assert_close(grad_x_input, (grad * emb).sum(-1).detach())
    assert (grad_x_input[x == 0] == 0).all()

    ig = embedding_attribution(model, model.embedding, x, target, method="integrated_gradients", n_steps=64)
    with torch.no_grad():
        gap = target(model(x)) - model.out(torch.zeros(2, 4))[:, 1]  # f(e) - f(0)
    torch.testing.assert_close(ig.sum(1), gap, atol=2e-3, rtol=1e-3)  # completeness
    assert all(p.grad is None for p in model.parameters()), "parameters untouched"
    with pytest.raises(ValueError, match="method"):
        embedding_attribution(model, model.embedding, x, target, method="saliency")


@pytest.fixture(scope="module")
def trigger_data():
    return make_trigger_task(160, 0), make_trigger_task(40, 1)


@pytest.fixture(scope="module", params=ENCODERS)
def fitted(request, trigger_data):
    (X, y), _ = trigger_data
    params = {**FAST, "max_epochs": 4}
    return AttentionTextClassifier(encoder=request.param, **params).fit(X, y)


def test_top1_deletion_by_attention_beats_random(fitted, trigger_data):
    _, (X_test, y_test) = trigger_data
    assert (fitted.predict(X_test) == y_test).mean() >= 0.9
    report = faithfulness_report(
        fitted, X_test, methods=("attention", "rollout", "gradient"), k=(1, 2), n_random=3,
        random_state=0,
    )
    assert list(report.columns) == ["method", "k", "drop", "drop_sem", "flipped", "n_samples"]
    assert set(report["method"]) == {"attention", "rollout", "gradient", "random"}
    assert (report["n_samples"] == len(X_test)).all()
    drop = report.set_index(["method", "k"])["drop"]
    for method in ("attention", "rollout", "gradient"):
        assert drop[method, 1] > 0.4, (fitted.encoder, method, drop[method, 1])
        assert drop[method, 1] > 4 * max(drop["random", 1], 0.02), (fitted.encoder, method)
    flipped = report.set_index(["method", "k"])["flipped"]
    assert flipped["attention", 1] > 0.5 > flipped["random", 1]


def test_explain_methods_share_the_tidy_format(fitted, trigger_data):
    _, (X_test, _) = trigger_data
    docs = list(X_test[:20]) + [""]
    base = fitted.explain(docs)  # the default: contribution
    assert base.equals(fitted.explain(docs, method="contribution"))
    for method in ("attention", "rollout", "gradient", "integrated_gradients"):
        other = fitted.explain(docs, method=method, n_steps=8)
        assert list(other.columns) == list(base.columns)
        pd.testing.assert_frame_equal(other.drop(columns="weight"), base.drop(columns="weight"))
        assert np.isfinite(other["weight"]).all()
        top = other.loc[other.groupby("sample")["weight"].idxmax(), "token"]
        assert top.isin(TRIGGERS).mean() >= 0.7, (fitted.encoder, method)
    rollout = fitted.explain(docs, method="rollout")
    np.testing.assert_allclose(rollout.groupby("sample")["weight"].sum(), 1.0, rtol=1e-5)
    if fitted.encoder != "transformer":
        # Nothing to roll out: the pooling attention itself.
        attention = fitted.explain(docs, method="attention")
        np.testing.assert_allclose(rollout["weight"], attention["weight"], rtol=1e-6)
    with pytest.raises(ValueError, match="method must be one of"):
        fitted.explain(docs, method="lime")


def test_transformer_rollout_matches_its_attention_layers(fitted, trigger_data):
    _, (X_test, _) = trigger_data
    if fitted.encoder != "transformer":
        with pytest.raises(ValueError, match="no self-attention layers"):
            fitted.attention_layers(X_test[:2])
        return
    docs = list(X_test[:6])
    layers, tokens = fitted.attention_layers(docs)
    lengths = np.array([len(t) for t in tokens])
    T = lengths.max()
    assert isinstance(layers, tuple) and len(layers) == fitted.num_layers
    assert layers[0].shape == (6, fitted.num_heads, T, T)
    real = np.arange(T)[None, :] < lengths[:, None]
    np.testing.assert_allclose(layers[0].sum(-1)[real[:, None, :].repeat(2, 1)], 1.0, rtol=1e-5)
    assert (layers[0].sum(-1)[~real[:, None, :].repeat(2, 1)] == 0).all()
    assert (layers[0].transpose(0, 1, 3, 2)[~real[:, None, :].repeat(2, 1)] == 0).all()

    pooling = np.zeros((6, T))
    explained = fitted.explain(docs, method="attention")
    pooling[explained["sample"], explained["position"]] = explained["weight"]
    for residual in (True, False):
        rollout = fitted.explain(docs, method="rollout", residual=residual)
        expected = pooling_rollout(pooling, layers, residual=residual)
        np.testing.assert_allclose(
            rollout["weight"], expected[rollout["sample"], rollout["position"]], atol=1e-5
        )

    attention, doc_tokens = to_bertviz(fitted, docs[1])
    assert doc_tokens == tokens[1]
    n = len(doc_tokens)
    assert all(isinstance(a, torch.Tensor) and a.shape == (1, fitted.num_heads, n, n) for a in attention)
    np.testing.assert_allclose(attention[0][0].numpy(), layers[0][1, :, :n, :n], atol=1e-6)
    with pytest.raises(TypeError, match="pass a str"):
        to_bertviz(fitted, docs)


def test_bertviz_head_view_takes_the_export_unchanged(fitted, trigger_data):
    if fitted.encoder != "transformer":
        pytest.skip("bertviz shows self-attention layers: transformer encoder only")
    bertviz = pytest.importorskip("bertviz", reason="bertviz is an optional extra")
    _, (X_test, _) = trigger_data
    attention, tokens = to_bertviz(fitted, X_test[1])
    page = bertviz.head_view(attention, tokens, html_action="return").data
    # The page carries bertviz's parsed view of the input as JSON: read it back.
    start = page.index("const params = ") + len("const params = ")
    params, _ = json.JSONDecoder().raw_decode(page[start:])
    view = params["attention"][0]
    assert view["left_text"] == tokens and view["right_text"] == tokens
    shown = np.array(view["attn"])  # (layers, heads, T, T)
    assert shown.shape == (fitted.num_layers, fitted.num_heads, len(tokens), len(tokens))
    np.testing.assert_allclose(shown, torch.cat(attention).numpy(), atol=1e-6)


def test_rank_correlation_and_plot(fitted, trigger_data):
    _, (X_test, _) = trigger_data
    table = rank_correlation(fitted, X_test[:30], methods=("attention", "gradient", "attention"))
    assert list(table.columns) == ["method_a", "method_b", "spearman", "kendall", "n_samples"]
    assert len(table) == 3
    assert table[["spearman", "kendall"]].abs().le(1).all().all()
    same = table[(table["method_a"] == "attention") & (table["method_b"] == "attention")]
    np.testing.assert_allclose(same[["spearman", "kendall"]].to_numpy(), 1.0)
    if fitted.encoder != "pooling":
        return
    import matplotlib

    matplotlib.use("Agg")
    report = faithfulness_report(fitted, X_test[:20], k=(1, 2), n_random=2, random_state=0)
    ax = plot_faithfulness(report)
    assert len(ax.get_legend().get_texts()) == 3
    assert ax.get_xlabel() == "tokens removed (k)"
    with pytest.raises(TypeError, match="faithfulness_report"):
        plot_faithfulness(report.drop(columns="drop_sem"))


def test_faithfulness_report_bad_input(fitted, trigger_data):
    if fitted.encoder != "pooling":
        pytest.skip("input checks run once")
    _, (X_test, _) = trigger_data
    with pytest.raises(ValueError, match="positive integers"):
        faithfulness_report(fitted, X_test[:5], k=0)
    with pytest.raises(ValueError, match="baseline"):
        faithfulness_report(fitted, X_test[:5], methods=("random",))
    with pytest.raises(ValueError, match="no token|None of the documents"):
        faithfulness_report(fitted, ["", "zzz"][:1])
    docs, labels = make_trigger_task(40, 3)
    reg = AttentionTextRegressor(embedding_dim=8, max_epochs=1, random_state=0)
    reg.fit(docs, np.arange(40.0))
    with pytest.raises(TypeError, match="classifier"):
        faithfulness_report(reg, docs[:5])
    assert reg.explain(docs[:3], method="gradient")["weight"].abs().sum() > 0
