"""Documents -> padded arrays of token ids (no torch here)."""

import re
from collections import defaultdict
from itertools import chain, islice, repeat
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.utils.validation import check_is_fitted

from .._compat import Interval, StrOptions, fit_context
from ..utils._validation import check_texts

__all__ = ["SequenceVectorizer", "PAD_TOKEN", "UNK_TOKEN", "PAD_ID", "UNK_ID"]

PAD_TOKEN, UNK_TOKEN = "<pad>", "<unk>"
PAD_ID, UNK_ID = 0, 1


class SequenceVectorizer(TransformerMixin, BaseEstimator):
    """Turn documents into fixed-width rows of token ids, for sequence models.

    Tokenization reuses scikit-learn's :class:`~sklearn.feature_extraction.text.CountVectorizer`
    analyzers, so ``analyzer``, ``lowercase``, ``token_pattern`` and
    ``strip_accents`` mean what they mean there. Unlike ``CountVectorizer`` the
    output keeps token order: row ``i`` holds the ids of document ``i``'s first
    ``max_len`` tokens, right-padded with ``0``.

    Parameters
    ----------
    analyzer : {"word", "char"} or callable, default="word"
        ``"word"`` splits with ``token_pattern``; ``"char"`` yields single
        characters (runs of whitespace collapse to one space); a callable maps a
        document to its list of tokens.
    lowercase : bool, default=True
    token_pattern : str, default=r"(?u)\\w+|[^\\w\\s]"
        Regular expression of a word token: runs of word characters, and each
        punctuation mark on its own.
    strip_accents : {"ascii", "unicode"} or None, default=None
    max_len : int, default=256
        Number of tokens kept per document (the first ones); output width.
        The vocabulary is learned from these tokens too: what lies beyond
        them never reaches a model.
    min_df : float in [0.0, 1.0] or int, default=1
        Drop tokens found in fewer documents (a proportion when float).
    max_df : float in [0.0, 1.0] or int, default=1.0
        Drop tokens found in more documents (a proportion when float).
    max_features : int, default=None
        Keep only the most frequent tokens (by count over the corpus).

    Attributes
    ----------
    vocabulary_ : dict
        Token -> id. Id 0 is padding (``"<pad>"``), id 1 stands for tokens
        outside the vocabulary (``"<unk>"``); other ids go by descending
        frequency. A document that spells ``"<pad>"`` or ``"<unk>"`` (e.g.
        with ``token_pattern=r"\\S+"`` on Penn-Treebank-style text) has those
        read as unknown tokens: reserved ids never stand for corpus tokens.
    index_to_token_ : ndarray of str of shape (n_tokens,)
        Id -> token.
    token_counts_ : ndarray of int of shape (n_tokens,)
        Occurrences of each token in the training documents.

    Examples
    --------
    >>> from skattn.feature_extraction import SequenceVectorizer
    >>> vec = SequenceVectorizer(max_len=4).fit(["a good film", "a bad film"])
    >>> vec.transform(["a good good film !"])
    array([[2, 5, 5, 3]])
    >>> vec.inverse_transform([[2, 5, 1, 0]])
    [['a', 'good', '<unk>']]
    """

    _parameter_constraints = {
        "analyzer": [StrOptions({"word", "char"}), callable],
        "lowercase": ["boolean"],
        "token_pattern": [str],
        "strip_accents": [StrOptions({"ascii", "unicode"}), None],
        "max_len": [Interval(Integral, 1, None, closed="left")],
        "min_df": [Interval(Real, 0, 1, closed="both"), Interval(Integral, 1, None, closed="left")],
        "max_df": [Interval(Real, 0, 1, closed="both"), Interval(Integral, 1, None, closed="left")],
        "max_features": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        *,
        analyzer="word",
        lowercase=True,
        token_pattern=r"(?u)\w+|[^\w\s]",
        strip_accents=None,
        max_len=256,
        min_df=1,
        max_df=1.0,
        max_features=None,
    ):
        self.analyzer = analyzer
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.strip_accents = strip_accents
        self.max_len = max_len
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features

    def build_analyzer(self):
        """Return the callable that maps a document to its list of tokens."""
        if self.analyzer == "word":
            try:
                pattern = re.compile(self.token_pattern)
            except re.error as exc:
                raise ValueError(
                    f"token_pattern={self.token_pattern!r} is not a valid regular "
                    f"expression: {exc}."
                ) from None
        if self.analyzer == "word" and self.strip_accents is None:
            if not pattern.groups:
                # What CountVectorizer's word analyzer does here (lowercase, then
                # findall), without its per-document layers of calls.
                findall = pattern.findall
                return (lambda doc: findall(doc.lower())) if self.lowercase else findall
        return CountVectorizer(
            analyzer=self.analyzer,
            lowercase=self.lowercase,
            token_pattern=self.token_pattern,
            strip_accents=self.strip_accents,
        ).build_analyzer()

    def _first_tokens(self):
        """The analyzer cut to each document's first ``max_len`` tokens.

        For the word analyzer (without ``strip_accents``), a long document is
        read only until ``max_len`` tokens are found, so a 1,000,000-character
        document costs what its first ``max_len`` tokens cost. Other analyzers
        tokenize the whole document, then cut.
        """
        analyze, max_len = self.build_analyzer(), self.max_len
        if self.analyzer == "word" and self.strip_accents is None:
            pattern = re.compile(self.token_pattern)
            if not pattern.groups:
                finditer, lower = pattern.finditer, self.lowercase
                # A document of fewer than 16 * max_len characters is read
                # whole (findall is faster than a lazy scan on short text).
                short = 16 * max_len

                def first_tokens(doc):
                    if len(doc) <= short:
                        return analyze(doc)[:max_len]
                    text = doc.lower() if lower else doc
                    return [m.group() for m in islice(finditer(text), max_len)]

                return first_tokens
        return lambda doc: analyze(doc)[:max_len]

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the vocabulary of the documents ``X``.

        Parameters
        ----------
        X : list, ndarray or Series of str of shape (n_samples,)
        y : ignored

        Returns
        -------
        self
        """
        self._fit_vocabulary(list(map(self._first_tokens(), check_texts(X))))
        return self

    @fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Learn the vocabulary and return the id rows (tokenizing only once).

        Parameters
        ----------
        X : list, ndarray or Series of str of shape (n_samples,)
        y : ignored

        Returns
        -------
        ids : ndarray of int64 of shape (n_samples, max_len)
        """
        flat, lengths, remap = self._fit_vocabulary(
            list(map(self._first_tokens(), check_texts(X)))
        )
        # Reuse the ids of the counting pass: keep each document's first max_len.
        doc = np.repeat(np.arange(len(lengths)), lengths)
        position = np.arange(len(flat)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        head = position < self.max_len
        ids = np.zeros((len(lengths), self.max_len), dtype=np.int64)
        ids[doc[head], position[head]] = remap[flat[head]]
        return ids

    def _fit_vocabulary(self, docs):
        """Set ``vocabulary_``, ``index_to_token_`` and ``token_counts_`` from token lists.

        Counts with numpy over one flat array of provisional ids (no per-token
        Python loop). Returns the provisional ids, the document lengths and the
        provisional -> final id map.
        """
        # A token's provisional id is its rank of first appearance: a missing
        # key gets len(index) from the C-level default factory, in one pass.
        index = defaultdict()
        index.default_factory = index.__len__
        n_docs = len(docs)
        lengths = np.fromiter(map(len, docs), dtype=np.int64, count=n_docs)
        flat = np.fromiter(
            map(index.__getitem__, chain.from_iterable(docs)),
            dtype=np.int64,
            count=int(lengths.sum()),
        )
        types = np.array(list(index), dtype=object)
        n_types = len(types)
        term_freq = np.bincount(flat, minlength=n_types)
        # Distinct (document, token) pairs give the document frequencies.
        pairs = np.sort(np.repeat(np.arange(n_docs, dtype=np.int64), lengths) * n_types + flat)
        pairs = pairs[np.diff(pairs, prepend=-1) != 0]  # sort + diff: faster than np.unique
        doc_freq = np.bincount(pairs % max(n_types, 1), minlength=n_types)
        low = self.min_df if isinstance(self.min_df, Integral) else self.min_df * n_docs
        high = self.max_df if isinstance(self.max_df, Integral) else self.max_df * n_docs
        if low > high:
            raise ValueError("max_df corresponds to fewer documents than min_df.")
        # A document may spell a reserved token ("<pad>" with token_pattern
        # r"\S+"): it gets no id of its own, so reserved ids never collide
        # with corpus tokens; transform reads it as unknown.
        reserved = np.isin(types, [PAD_TOKEN, UNK_TOKEN]) if n_types else np.zeros(0, bool)
        kept = np.flatnonzero((low <= doc_freq) & (doc_freq <= high) & ~reserved)
        # Descending frequency, ties by token.
        kept = kept[np.lexsort((types[kept].astype(str), -term_freq[kept]))]
        if self.max_features is not None:
            kept = kept[: self.max_features]
        if not len(kept):
            raise ValueError(
                "Empty vocabulary: no token passes min_df/max_df, or the documents "
                "contain no tokens for this analyzer."
            )
        tokens = [PAD_TOKEN, UNK_TOKEN] + types[kept].tolist()
        self.vocabulary_ = {t: i for i, t in enumerate(tokens)}
        self.index_to_token_ = np.array(tokens, dtype=object)
        unknown = int(term_freq.sum() - term_freq[kept].sum())
        self.token_counts_ = np.concatenate([[0, unknown], term_freq[kept]]).astype(np.int64)
        remap = np.full(n_types, UNK_ID, dtype=np.int64)
        remap[kept] = np.arange(2, len(kept) + 2)
        return flat, lengths, remap

    def transform(self, X):
        """Map documents to right-padded rows of token ids.

        Parameters
        ----------
        X : list, ndarray or Series of str of shape (n_samples,)

        Returns
        -------
        ids : ndarray of int64 of shape (n_samples, max_len)
            0 is padding, 1 an unknown token. A document with no known or
            unknown token is an all-zero row.
        """
        check_is_fitted(self, "vocabulary_")
        return self._ids_from_tokens(self.tokenize(X))

    def _ids_from_tokens(self, docs):
        """Token lists (at most ``max_len`` each) -> right-padded id rows."""
        lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
        ids = np.zeros((len(docs), self.max_len), dtype=np.int64)
        # One C-level map over all tokens, then one scatter: position j of row i
        # for j < length_i.
        flat = np.fromiter(
            map(self.vocabulary_.get, chain.from_iterable(docs), repeat(UNK_ID)),
            dtype=np.int64,
            count=int(lengths.sum()),
        )
        flat[flat == PAD_ID] = UNK_ID  # a "<pad>" written in a document is a token
        ids[np.arange(self.max_len) < lengths[:, None]] = flat
        return ids

    def tokenize(self, X):
        """Split documents into the tokens that :meth:`transform` encodes.

        Parameters
        ----------
        X : list, ndarray or Series of str of shape (n_samples,)

        Returns
        -------
        tokens : list of list of str
            The first ``max_len`` tokens of each document, as written
            (after lowercasing), out-of-vocabulary tokens included.
        """
        return list(map(self._first_tokens(), check_texts(X)))

    def inverse_transform(self, X):
        """Map rows of token ids back to lists of tokens (padding dropped).

        Parameters
        ----------
        X : array-like of int of shape (n_samples, n_positions)

        Returns
        -------
        tokens : list of list of str
        """
        check_is_fitted(self, "vocabulary_")
        ids = np.asarray(X)
        if ids.ndim != 2:
            raise ValueError(f"Expected a 2-D array of token ids, got shape {ids.shape}.")
        if ids.dtype.kind not in "iu":
            integral = ids.dtype.kind in "fb" and np.isfinite(ids).all() and (ids == np.round(ids)).all()
            if not integral:
                raise ValueError(
                    f"Token ids must be integers; got an array of dtype {ids.dtype}"
                    + (" holding NaN/inf or fractions." if ids.dtype.kind == "f" else ".")
                )
            ids = ids.astype(np.int64)
        if ids.size and (ids.min() < 0 or ids.max() >= len(self.index_to_token_)):
            raise ValueError(
                f"Token ids must lie in [0, {len(self.index_to_token_) - 1}]."
            )
        return [self.index_to_token_[row[row != PAD_ID]].tolist() for row in ids]

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns: the token positions ``token_0`` ... ``token_{max_len-1}``."""
        check_is_fitted(self, "vocabulary_")
        return np.asarray([f"token_{i}" for i in range(self.max_len)], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.requires_fit = True
        return tags
