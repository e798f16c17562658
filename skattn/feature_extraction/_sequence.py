"""Documents -> padded arrays of token ids (no torch here).

:class:`SequenceVectorizer` learns a vocabulary; :class:`HashingSequenceVectorizer`
is stateless (ids from a hash of each token). Both share one tokenization
(:class:`_TokenSequences`): scikit-learn's analyzers, the first ``max_len``
tokens of each document, and optional n-grams placed in the sequence right
after the word that ends them.
"""

import re
from collections import defaultdict
from itertools import chain, islice, repeat
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.utils import murmurhash3_32
from sklearn.utils.validation import check_is_fitted

from .._compat import Interval, StrOptions, fit_context
from .._docstrings import API_PAGE
from ..utils._validation import check_texts

__all__ = [
    "SequenceVectorizer", "HashingSequenceVectorizer",
    "PAD_TOKEN", "UNK_TOKEN", "PAD_ID", "UNK_ID", "N_RESERVED",
]

PAD_TOKEN, UNK_TOKEN = "<pad>", "<unk>"
PAD_ID, UNK_ID = 0, 1
#: Ids below this are reserved (padding, unknown); tokens get the others.
N_RESERVED = 2


def _check_ngram_range(ngram_range):
    valid = (
        isinstance(ngram_range, tuple) and len(ngram_range) == 2
        and all(isinstance(n, Integral) and not isinstance(n, bool) for n in ngram_range)
        and 1 <= ngram_range[0] <= ngram_range[1]
    )
    if not valid:
        raise ValueError(
            f"ngram_range must be a tuple (min_n, max_n) of integers with "
            f"1 <= min_n <= max_n, got {ngram_range!r}."
        )


class _TokenSequences(TransformerMixin, BaseEstimator):
    """The tokenization both sequence vectorizers share.

    A document becomes its first ``max_len`` analyzer tokens ("words"); with
    ``ngram_range=(min_n, max_n)`` and ``max_n > 1``, each word is followed by
    the n-grams (``min_n <= n <= max_n``, ``n >= 2``) that end at it, written
    as their words joined by one space: ``["a", "good", "a good", "film",
    "good film"]`` for ``(1, 2)``; ``min_n > 1`` leaves the single words out.
    The sequence is then cut to ``max_len`` positions. Subclasses say which
    n-grams are kept (:meth:`_kept_ngrams`) and how a token becomes an id
    (:meth:`_flat_ids`).
    """

    _doc_link_module = "skattn"  # the HTML repr's "?" opens skattn's API page
    _doc_link_template = API_PAGE

    _parameter_constraints = {
        "analyzer": [StrOptions({"word", "char"}), callable],
        "lowercase": ["boolean"],
        "token_pattern": [str],
        "strip_accents": [StrOptions({"ascii", "unicode"}), None],
        "ngram_range": [tuple],
        "max_len": [Interval(Integral, 1, None, closed="left")],
    }

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
        """The analyzer cut to each document's first ``max_len`` tokens (the words).

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


    def _sequence_of(self, kept=None):
        """Document -> its token sequence (words, then the n-grams ending at
        each word), at most ``max_len`` long. ``kept``: None keeps every
        n-gram, else a container of the n-grams to keep."""
        words_of, max_len = self._first_tokens(), self.max_len
        _check_ngram_range(self.ngram_range)
        min_n, max_n = self.ngram_range
        if max_n == 1:
            return words_of
        sizes = range(max(2, min_n), max_n + 1)
        join = " ".join

        def sequence(doc):
            words = words_of(doc)
            columns = [words] if min_n == 1 else []
            for n in sizes:
                grams = list(map(join, zip(*(words[k:] for k in range(n)))))
                if kept is not None:
                    grams = [g if g in kept else None for g in grams]
                columns.append([None] * (n - 1) + grams)
            # Position by position: the word, then the n-grams that end there.
            out = [t for at in zip(*columns) for t in at if t is not None]
            return out[:max_len]

        return sequence

    def _ngram_positions(self):
        """Bool array of shape (max_len,): which positions of a sequence hold
        n-grams rather than words. What position ``p`` holds depends only on
        ``p`` (each word, then the n-grams ending at it), so every document's
        pattern is a prefix of this one, before any n-gram leaves it."""
        min_n, max_n = self.ngram_range
        flags, word = [], 0
        while len(flags) < self.max_len:
            flags += [False] * (min_n == 1)
            flags += [True] * sum(word >= n - 1 for n in range(max(2, min_n), max_n + 1))
            word += 1
        return np.array(flags[: self.max_len], dtype=bool)

    def _kept_ngrams(self):
        """The n-grams that :meth:`tokenize` keeps: None for all."""
        return None

    def tokenize(self, X):
        """Split documents into the tokens that :meth:`transform` encodes.

        Parameters
        ----------
        X : list, ndarray or Series of str of shape (n_samples,)

        Returns
        -------
        tokens : list of list of str
            Each document's token sequence (at most ``max_len``, n-grams
            included), as written after lowercasing; position ``j`` of
            document ``i`` is column ``j`` of row ``i`` of :meth:`transform`.
        """
        return list(map(self._sequence_of(self._kept_ngrams()), check_texts(X)))

    def _flat_ids(self, tokens):
        """The ids of a flat list of tokens, as an int64 array."""
        raise NotImplementedError(f"{type(self).__name__} must define _flat_ids(tokens).")

    def _ids_from_tokens(self, docs):
        """Token lists (at most ``max_len`` each) -> right-padded id rows."""
        lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
        ids = np.zeros((len(docs), self.max_len), dtype=np.int64)
        flat = self._flat_ids(list(chain.from_iterable(docs)))
        # One scatter: position j of row i for j < length_i.
        ids[np.arange(self.max_len) < lengths[:, None]] = flat
        return ids

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns: the token positions ``token_0`` ... ``token_{max_len-1}``."""
        return np.asarray([f"token_{i}" for i in range(self.max_len)], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags

class SequenceVectorizer(_TokenSequences):
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
    ngram_range : tuple (min_n, max_n), default=(1, 1)
        Word n-grams as tokens of the sequence (fastText's bigrams, made
        inspectable): with ``(1, 2)`` each word is followed by the bigram
        that ends at it (``"a good film"`` -> ``a``, ``good``, ``a good``,
        ``film``, ``good film``), so n-grams are embedded, attended and
        explained like words. n-grams below ``min_df`` (or otherwise outside
        the vocabulary) are left out of the sequence rather than read as
        ``"<unk>"``; a word outside it is still ``"<unk>"``.
    max_len : int, default=256
        Number of sequence positions kept per document (the first ones,
        n-grams included); output width. The vocabulary is learned from
        these tokens too: what lies beyond them never reaches a model.
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
    n_ids_ : int
        Number of ids, the reserved ones included (``len(vocabulary_)``):
        the size of an embedding table over this vectorizer's output.

    Examples
    --------
    >>> from skattn.feature_extraction import SequenceVectorizer
    >>> vec = SequenceVectorizer(max_len=4).fit(["a good film", "a bad film"])
    >>> vec.transform(["a good good film !"])
    array([[2, 5, 5, 3]])
    >>> vec.inverse_transform([[2, 5, 1, 0]])
    [['a', 'good', '<unk>']]

    Bigrams sit in the sequence after the word that ends them:

    >>> SequenceVectorizer(ngram_range=(1, 2)).fit(["a good film"]).tokenize(["a good film"])
    [['a', 'good', 'a good', 'film', 'good film']]
    """

    _parameter_constraints = {
        **_TokenSequences._parameter_constraints,
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
        ngram_range=(1, 1),
        max_len=256,
        min_df=1,
        max_df=1.0,
        max_features=None,
    ):
        self.analyzer = analyzer
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.strip_accents = strip_accents
        self.ngram_range = ngram_range
        self.max_len = max_len
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features

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
        self._fit_vocabulary(list(map(self._sequence_of(), check_texts(X))))
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
        X = check_texts(X)
        docs = list(map(self._sequence_of(), X))
        flat, lengths, remap = self._fit_vocabulary(docs)
        # Reuse the ids of the counting pass (no second tokenization).
        doc = np.repeat(np.arange(len(lengths)), lengths)
        position = np.arange(len(flat)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        ids_flat = remap[flat]
        if self.ngram_range[1] == 1:
            ids = np.zeros((len(lengths), self.max_len), dtype=np.int64)
            ids[doc, position] = ids_flat
            return ids
        # n-grams outside the vocabulary leave the sequence, as in transform.
        keep = ~(self._ngram_positions()[position] & (ids_flat == UNK_ID))
        doc, ids_flat = doc[keep], ids_flat[keep]
        kept_lengths = np.bincount(doc, minlength=len(lengths))
        position = np.arange(len(ids_flat)) - np.repeat(
            np.cumsum(kept_lengths) - kept_lengths, kept_lengths)
        ids = np.zeros((len(lengths), self.max_len), dtype=np.int64)
        ids[doc, position] = ids_flat
        # A document cut at max_len that lost an n-gram has room for tokens
        # beyond the cut: only those are tokenized again.
        refill = np.flatnonzero((lengths == self.max_len) & (kept_lengths < lengths))
        if len(refill):
            ids[refill] = self._ids_from_tokens(self.tokenize([X[i] for i in refill]))
        return ids

    def _fit_vocabulary(self, docs):
        """Set ``vocabulary_``, ``index_to_token_``, ``token_counts_`` and
        ``n_ids_`` from token lists.

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
        self.n_ids_ = len(tokens)
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

    def _kept_ngrams(self):
        check_is_fitted(self, "vocabulary_")
        return self.vocabulary_

    def _flat_ids(self, tokens):
        flat = np.fromiter(
            map(self.vocabulary_.get, tokens, repeat(UNK_ID)), dtype=np.int64, count=len(tokens)
        )
        flat[flat == PAD_ID] = UNK_ID  # a "<pad>" written in a document is a token
        return flat

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
        return super().get_feature_names_out(input_features)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = True
        return tags


class HashingSequenceVectorizer(_TokenSequences):
    """Turn documents into rows of hashed token ids: a stateless :class:`SequenceVectorizer`.

    The :class:`~sklearn.feature_extraction.text.HashingVectorizer` of token
    sequences: each token's id is ``2 + murmurhash3_32(token) % n_features``
    (ids 0 and 1 stay reserved for padding and unknown, as in
    :class:`SequenceVectorizer`), so nothing is learned and there is no
    vocabulary to keep in memory or to fix at the first chunk of a stream:
    a model trained by ``partial_fit`` on chunk after chunk gives a token
    first seen in a later chunk its own id, always the same one. Tokenization
    (``analyzer``, ``lowercase``, ``token_pattern``, ``strip_accents``,
    ``ngram_range``, ``max_len``) is :class:`SequenceVectorizer`'s; every
    n-gram is kept.

    Distinct tokens may share an id (a collision): a model then sees them as
    one token, with one embedding. Of MR's 18,395 distinct words, 24% share
    one of the default ``2**16`` buckets with another word (7% with ``2**18``);
    with bigrams (130,327 tokens) 86% do (40% with ``2**18``), so raise
    ``n_features`` with ``ngram_range``. The embedding table has
    ``n_features + 2`` rows and costs fit time with its size: on MR (2 CPU
    cores) the default classifier fits in 3.5 s with ``2**16`` buckets (words
    only), 8.8 s with ``2**18``, 4.9 s with its learned vocabulary of words
    and bigrams. Explanations stay
    per token: an estimator's ``explain`` and ``token_attention_`` report the
    document's own token strings, so two colliding tokens show under their
    own names, with weights that only their contexts tell apart.

    Parameters
    ----------
    analyzer : {"word", "char"} or callable, default="word"
    lowercase : bool, default=True
    token_pattern : str, default=r"(?u)\\w+|[^\\w\\s]"
    strip_accents : {"ascii", "unicode"} or None, default=None
    ngram_range : tuple (min_n, max_n), default=(1, 1)
        As in :class:`SequenceVectorizer`; every n-gram hashes to an id.
    max_len : int, default=256
        Sequence positions kept per document; output width.
    n_features : int, default=2**16
        Number of hash buckets; ids lie in ``[2, n_features + 2)``.

    Attributes
    ----------
    n_ids_ : int
        ``n_features + 2``: the size of an embedding table over the output
        (set by ``fit``, which learns nothing else; ``transform`` needs no fit).

    See Also
    --------
    SequenceVectorizer : Learns a vocabulary (exact ids, ``inverse_transform``).

    Examples
    --------
    >>> from skattn.feature_extraction import HashingSequenceVectorizer
    >>> vec = HashingSequenceVectorizer(n_features=2**10, max_len=5)
    >>> ids = vec.transform(["a good film", "a bad film"])
    >>> ids.shape
    (2, 5)
    >>> bool(ids[0, 0] == ids[1, 0])  # "a" hashes to the same id in both
    True
    >>> vec.tokenize(["a good film"])
    [['a', 'good', 'film']]
    """

    _parameter_constraints = {
        **_TokenSequences._parameter_constraints,
        "n_features": [Interval(Integral, 1, np.iinfo(np.int32).max - N_RESERVED, closed="both")],
    }

    def __init__(
        self,
        *,
        analyzer="word",
        lowercase=True,
        token_pattern=r"(?u)\w+|[^\w\s]",
        strip_accents=None,
        ngram_range=(1, 1),
        max_len=256,
        n_features=2**16,
    ):
        self.analyzer = analyzer
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.strip_accents = strip_accents
        self.ngram_range = ngram_range
        self.max_len = max_len
        self.n_features = n_features

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X=None, y=None):
        """Check the parameters and record ``n_ids_``; nothing is learned from ``X``.

        Parameters
        ----------
        X : ignored
        y : ignored

        Returns
        -------
        self
        """
        _check_ngram_range(self.ngram_range)
        self.n_ids_ = self.n_features + N_RESERVED
        return self

    def partial_fit(self, X=None, y=None):
        """Nothing to learn: the same as :meth:`fit`, for streaming pipelines.

        Parameters
        ----------
        X : ignored
        y : ignored

        Returns
        -------
        self
        """
        return self.fit(X, y)

    def transform(self, X):
        """Map documents to right-padded rows of hashed token ids.

        Parameters
        ----------
        X : list, ndarray or Series of str of shape (n_samples,)

        Returns
        -------
        ids : ndarray of int64 of shape (n_samples, max_len)
            0 is padding; every token (n-grams included) has an id in
            ``[2, n_features + 2)``.
        """
        self._validate_params()
        return self._ids_from_tokens(self.tokenize(X))

    def _flat_ids(self, tokens):
        # Hash each distinct token once.
        n, table = self.n_features, dict.fromkeys(tokens)
        for token in table:
            table[token] = murmurhash3_32(token, seed=0, positive=True) % n + N_RESERVED
        return np.fromiter(map(table.__getitem__, tokens), dtype=np.int64, count=len(tokens))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.transformer_tags.preserves_dtype = []
        return tags
