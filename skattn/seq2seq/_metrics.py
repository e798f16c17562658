"""Sequence metrics on tokenized outputs (no torch here)."""

import math
from collections import Counter

__all__ = ["corpus_bleu", "exact_match_score"]


def _ngrams(tokens, n):
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def corpus_bleu(references, hypotheses, *, max_n=4):
    """Corpus-level BLEU (Papineni et al., 2002) with one reference per sample.

    ``BLEU = BP * exp(mean_n log p_n)`` for n = 1 .. ``max_n``, where ``p_n``
    is the modified n-gram precision pooled over the corpus (each hypothesis
    n-gram counts at most as often as it occurs in its reference), and the
    brevity penalty ``BP = exp(1 - r / c)`` when the total hypothesis length
    ``c`` is below the total reference length ``r`` (1 otherwise). No
    smoothing: a corpus without any matching n-gram of some order scores 0.
    This is the definition of ``nltk.translate.bleu_score.corpus_bleu`` and of
    sacrebleu (without its own tokenization), on a 0-1 scale.

    Parameters
    ----------
    references, hypotheses : sequences of token lists, of equal length
    max_n : int, default=4

    Returns
    -------
    bleu : float in [0, 1]

    Examples
    --------
    >>> corpus_bleu([["the", "cat", "sat", "on", "the", "mat"]],
    ...             [["the", "cat", "sat", "on", "the", "mat"]])
    1.0
    >>> round(corpus_bleu([["a", "b", "c", "d", "e"]], [["a", "b", "c", "d"]]), 4)
    0.7788
    """
    if len(references) != len(hypotheses):
        raise ValueError(
            f"references and hypotheses have different lengths: {len(references)} and "
            f"{len(hypotheses)}."
        )
    matches, totals = [0] * max_n, [0] * max_n
    ref_len = hyp_len = 0
    for ref, hyp in zip(references, hypotheses):
        ref, hyp = list(ref), list(hyp)
        ref_len += len(ref)
        hyp_len += len(hyp)
        for n in range(1, max_n + 1):
            hyp_counts = _ngrams(hyp, n)
            ref_counts = _ngrams(ref, n)
            matches[n - 1] += sum(min(c, ref_counts[g]) for g, c in hyp_counts.items())
            totals[n - 1] += max(len(hyp) - n + 1, 0)
    if hyp_len == 0 or min(matches) == 0:
        return 0.0
    log_precision = sum(math.log(m / t) for m, t in zip(matches, totals)) / max_n
    brevity = 1.0 if hyp_len >= ref_len else math.exp(1.0 - ref_len / hyp_len)
    return brevity * math.exp(log_precision)


def exact_match_score(y_true, y_pred):
    """Fraction of outputs equal to their reference, as strings.

    >>> exact_match_score(["2021-03-03", "1999-12-31"], ["2021-03-03", "1999-12-30"])
    0.5
    """
    y_true, y_pred = list(y_true), list(y_pred)
    if len(y_true) != len(y_pred):
        raise ValueError(
            f"y_true and y_pred have different lengths: {len(y_true)} and {len(y_pred)}."
        )
    if not y_true:
        raise ValueError("exact_match_score needs at least one sample.")
    return sum(a == b for a, b in zip(y_true, y_pred)) / len(y_true)
