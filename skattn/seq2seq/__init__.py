"""Attention sequence-to-sequence: source texts -> target texts, with alignments."""

from ._estimator import Alignment, AttentionSeq2Seq
from ._metrics import corpus_bleu, exact_match_score

__all__ = ["Alignment", "AttentionSeq2Seq", "corpus_bleu", "exact_match_score"]
