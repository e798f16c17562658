"""Adam for sparse embedding gradients that keeps dense Adam's trajectory.

An embedding table of V rows (a vocabulary of every word and bigram: 10^5
rows and more) is read a few thousand rows at a time. With a dense gradient
every step builds a (V, D) gradient and Adam updates all V rows; with
``nn.Embedding(sparse=True)`` the gradient holds only the rows read, but
torch's :class:`~torch.optim.SparseAdam` then moves only those rows ("lazy"
Adam), dropping the steps in which dense Adam keeps moving an unread row on
its decaying moments, and trains a different (on short texts, less accurate)
model.

:class:`DeferredAdam` defers those steps and applies them in closed form when
the row is read next. On a zero gradient Adam's moments only decay
(``m <- b1 m``, ``v <- b2 v``), so the steps ``s+1 .. t`` after a row's last
update at step ``s`` move it by

    m_s / sqrt(v_s) * F_t(s),  F_t(s) = sum_{j=1..t-s} lr_{s+j} sqrt(c2_{s+j}) / c1_{s+j} r**j

with ``r = b1 / sqrt(b2)`` and ``c1``, ``c2`` the bias corrections of each
step, and scale its moments by ``b1**(t-s)`` and ``b2**(t-s)``. The optimizer
keeps ``F_t(s)`` for every ``s`` (a float64 vector, one entry per step) and
brings it to the next step in O(W) operations: ``r < 1``, so after W steps a
term is below ``tol`` and ``F_t(s)`` no longer changes. A row's catch-up is
then a lookup. The step of the rows a gradient holds is torch's own Adam
(its fused kernel where torch has one) on those rows, gathered. The deferred
steps leave out Adam's ``eps`` (``m / sqrt(v)`` instead of
``m / (sqrt(v) + eps)``): with ``eps`` near 0 the trajectory is dense Adam's
to float rounding, with the default ``eps`` within about 0.1 %.

Rows must be caught up before a forward pass reads them: :meth:`DeferredAdam.track`
registers a forward pre-hook on every sparse ``nn.Embedding`` of a module
whose weight the optimizer trains, and brings every row up to date when the
block ends; :meth:`DeferredAdam.flush` does so at any time (before saving
weights mid-training, say). Dense gradients take torch's Adam step (its fused
or foreach kernels included).
"""

import math
from contextlib import contextmanager

import torch
from torch import nn
from torch.optim.adam import adam

__all__ = ["DeferredAdam"]

#: torch's fused Adam kernel runs on the CPU from torch 2.4 (on CUDA before).
_FUSED_CPU = tuple(int(v) for v in torch.__version__.split(".")[:2]) >= (2, 4)


def _fused(p):
    return p.is_cuda or (p.device.type == "cpu" and _FUSED_CPU)


def _step_device(p):
    # The fused kernel keeps its step count on the parameter's device.
    return p.device if _fused(p) else "cpu"


class DeferredAdam(torch.optim.Adam):
    """Adam that trains sparse embedding gradients as dense Adam would.

    Parameters with dense gradients take :class:`torch.optim.Adam`'s step.
    A parameter with a sparse gradient (``nn.Embedding(sparse=True)``) moves
    only the rows its gradient holds, after applying in closed form the
    steps that dense Adam would have taken on them since they were last read
    (see the module docstring); every other row's steps wait until it is
    read (:meth:`track`) or :meth:`flush` is called.

    Parameters
    ----------
    params : iterable of tensors or of dicts
        As for :class:`torch.optim.Adam`.
    lr, betas, eps, weight_decay, amsgrad, foreach, maximize, capturable, \
differentiable, fused, decoupled_weight_decay
        As for :class:`torch.optim.Adam`. A parameter group that holds a
        sparse gradient must have ``weight_decay=0`` (weight decay moves
        every row at every step, which cannot wait), ``amsgrad=False``,
        ``capturable=False``, ``differentiable=False`` and
        ``betas[0] < sqrt(betas[1])``; ``maximize`` is supported.
    tol : float, default=1e-9
        A deferred step ``j`` steps after a row's last update weighs
        ``r**j``; the table of deferred steps ignores the steps with
        ``r**j < tol`` (about 200 steps with the default betas).

    Notes
    -----
    Sparse parameters keep, besides Adam's ``exp_avg`` and ``exp_avg_sq``,
    ``last`` (int64, shape (V,): the step each row is up to date with) and
    ``deferred`` (float64: ``F_t(s)`` for s = 0..t) in their state;
    :meth:`state_dict` and :meth:`load_state_dict` keep both.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, tol=1e-9, **kwargs):
        if not 0.0 < tol < 1.0:
            raise ValueError(f"DeferredAdam: tol must be in (0, 1), got {tol!r}.")
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, **kwargs)
        self.defaults["tol"] = tol
        for group in self.param_groups:
            group.setdefault("tol", tol)

    # -- the step -------------------------------------------------------------

    @torch.no_grad()
    def step(self, closure=None):
        """One Adam step of every parameter with a gradient; the closure, if
        given, is evaluated first (with gradients on), as torch's optimizers do."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        sparse = []
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    sparse.append((group, p))
                elif "last" in self.state.get(p, {}):
                    self._to_dense_state(group, p)
        # torch's Adam takes the dense gradients (it refuses sparse ones):
        # the sparse gradients are out of its sight for that step.
        grads = [p.grad for _, p in sparse]
        for _, p in sparse:
            p.grad = None
        try:
            super().step()
        finally:
            for (_, p), grad in zip(sparse, grads):
                p.grad = grad
        for group, p in sparse:
            self._sparse_step(group, p)
        return loss

    @staticmethod
    def _check_group(group):
        beta1, beta2 = (float(b) for b in group["betas"])
        problems = [name for name, bad in (
            ("weight_decay != 0", group["weight_decay"] != 0),
            ("amsgrad=True", group["amsgrad"]),
            ("capturable=True", group["capturable"]),
            ("differentiable=True", group["differentiable"]),
            ("betas[0] >= sqrt(betas[1])", beta1 >= math.sqrt(beta2)),
        ) if bad]
        if problems:
            raise ValueError(
                "DeferredAdam cannot defer the steps of a sparse gradient in a parameter "
                f"group with {', '.join(problems)}; use a dense embedding "
                "(nn.Embedding(sparse=False)) or change the group's settings."
            )
        return beta1, beta2

    def _sparse_step(self, group, p):
        """Adam's step ``t`` of the rows that ``p``'s sparse gradient holds,
        their deferred steps first; then ``F_t`` from ``F_(t-1)``.

        The rows stepped are those the forward pass's catch-up read (its
        gathered rows are reused; the rows it read without a gradient take
        their zero-gradient step now rather than later), unless the gradient
        holds rows it did not read."""
        beta1, beta2 = self._check_group(group)
        state = self.state[p]
        if "last" not in state:
            state.update(
                step=torch.tensor(0.0),
                exp_avg=torch.zeros_like(p, memory_format=torch.preserve_format),
                exp_avg_sq=torch.zeros_like(p, memory_format=torch.preserve_format),
                last=torch.zeros(p.shape[0], dtype=torch.long, device=p.device),
                deferred=torch.zeros(1024, dtype=torch.float64, device=p.device),
            )
        grad = p.grad
        indices, values = grad._indices()[0], grad._values()  # (N,), (N, D); rows repeat
        t = int(state["step"]) + 1
        read = self._reads().pop(id(p), None)
        if read is not None and (read["t"] != t - 1 or read["version"] != p._version):
            self._commit(p, read)  # p changed since: the gathered rows are stale
            read = None
        at = None
        if read is not None and len(indices):
            at = torch.searchsorted(read["rows"], indices).clamp_(max=len(read["rows"]) - 1)
            if not bool((read["rows"][at] == indices).all()):
                self._commit(p, read)
                read, at = None, None
        if read is None:
            read = self._gather(group, p, grad.coalesce()._indices()[0])
        rows, m, v, rows_p = read["rows"], read["exp_avg"], read["exp_avg_sq"], read["rows_p"]
        g = torch.zeros(rows_p.shape, dtype=torch.float32, device=p.device)  # (R, D)
        if at is not None:
            g.index_add_(0, at, values.float())
        elif len(indices):
            g.index_add_(0, torch.searchsorted(rows, indices), values.float())
        lr = float(group["lr"])
        # torch's own Adam step on the gathered rows (it counts the step on).
        adam([rows_p], [g], [m], [v], [], [torch.tensor(float(t - 1), device=_step_device(p))],
             fused=_fused(p), foreach=False if not _fused(p) else None,
             amsgrad=False, beta1=beta1, beta2=beta2, lr=lr, weight_decay=0.0,
             eps=group["eps"], maximize=group["maximize"])
        state["step"].fill_(t)
        p.index_copy_(0, rows, rows_p.to(p.dtype))
        state["exp_avg"].index_copy_(0, rows, m.to(p.dtype))
        state["exp_avg_sq"].index_copy_(0, rows, v.to(p.dtype))
        state["last"].index_fill_(0, rows, t)
        # F_t(s) = F_(t-1)(s) + lr_t sqrt(c2_t) / c1_t r**(t-s), over the last W values of s.
        c1, c2 = 1 - beta1 ** t, 1 - beta2 ** t
        F = state["deferred"]
        if len(F) <= t + 1:
            F = state["deferred"] = torch.cat([F, torch.zeros_like(F)])
        powers = self._powers(group, F.device)  # r**W .. r**1
        lo = max(0, t - len(powers))
        F[lo:t].add_(powers[len(powers) - (t - lo):], alpha=lr * math.sqrt(c2) / c1)
        F[t] = 0.0

    def _powers(self, group, device):
        """``r**W, ..., r**1`` (float64) for the group's betas and ``tol``."""
        beta1, beta2 = (float(b) for b in group["betas"])
        key = (beta1, beta2, group["tol"], device)
        cache = self.__dict__.setdefault("_power_tables", {})
        if key not in cache:
            r = beta1 / math.sqrt(beta2)
            W = max(1, math.ceil(math.log(group["tol"]) / math.log(r)))
            cache[key] = r ** torch.arange(W, 0, -1, dtype=torch.float64, device=device)
        return cache[key]

    def _gather(self, group, p, rows):
        """Catch ``p``'s ``rows`` (unique, sorted) up to the last step taken:
        write their parameters, and return them with their moments, gathered
        (float32), for the step that follows. Their moments and ``last`` are
        written by that step, or by :meth:`_commit`."""
        state = self.state[p]
        t = int(state["step"])
        beta1, beta2 = (float(b) for b in group["betas"])
        last = state["last"].index_select(0, rows)  # (R,)
        m = state["exp_avg"].index_select(0, rows).float()  # (R, D)
        v = state["exp_avg_sq"].index_select(0, rows).float()  # (R, D)
        rows_p = p.index_select(0, rows).float()  # (R, D)
        if bool((last < t).any()):
            # Rows already up to date stay as they are: F_t(t) = 0, k = 0.
            S = state["deferred"].index_select(0, last).float()[:, None]  # (R, 1)
            k = (t - last).float()[:, None]  # (R, 1)
            # m = 0 wherever v = 0: those rows have never had a gradient. (With
            # maximize, m holds the moments of the negated gradient, as in torch.)
            rows_p.addcdiv_(m * S, v.sqrt().clamp_(min=1e-30), value=-1.0)
            m.mul_(torch.pow(beta1, k))
            v.mul_(torch.pow(beta2, k))
            p.index_copy_(0, rows, rows_p.to(p.dtype))
        return {"t": t, "rows": rows, "exp_avg": m, "exp_avg_sq": v, "rows_p": rows_p,
                "version": p._version}

    def _commit(self, p, read):
        """Write the caught-up moments and ``last`` of a gather that no step used."""
        state = self.state[p]
        for name in ("exp_avg", "exp_avg_sq"):
            state[name].index_copy_(0, read["rows"], read[name].to(p.dtype))
        state["last"].index_fill_(0, read["rows"], read["t"])

    def _reads(self):
        """Gathers waiting for their step, by parameter id (not state: a
        gather is committed before any state is read or saved)."""
        return self.__dict__.setdefault("_pending_reads", {})

    def _commit_all(self):
        reads = self._reads()
        for group, p, _ in self._sparse_states():
            read = reads.pop(id(p), None)
            if read is not None:
                self._commit(p, read)

    def _to_dense_state(self, group, p):
        """A parameter whose gradient was sparse and is dense now: its rows
        catch up, and torch's Adam goes on from its moments."""
        self.flush()
        state = self.state[p]
        del state["last"], state["deferred"]

    # -- catching rows up -----------------------------------------------------

    def _sparse_states(self):
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state.get(p)
                if state and "last" in state:
                    yield group, p, state

    def _group_of(self, param):
        for group in self.param_groups:
            for p in group["params"]:
                if p is param:
                    return group
        raise ValueError("DeferredAdam.catch_up: the parameter is not one this optimizer trains.")

    @torch.no_grad()
    def catch_up(self, param, ids):
        """Bring the rows ``ids`` (any shape, repeats allowed) of the sparse
        parameter ``param`` up to the last step taken, before a forward pass
        reads them. A parameter without deferred steps is left as it is."""
        state = self.state.get(param)
        if not state or "last" not in state:
            return
        reads = self._reads()
        if id(param) in reads:
            self._commit(param, reads.pop(id(param)))
        rows = torch.unique(ids.reshape(-1).to(device=param.device, dtype=torch.long))  # sorted
        # The next step reuses the gathered rows (see _sparse_step).
        reads[id(param)] = self._gather(self._group_of(param), param, rows)

    @torch.no_grad()
    def flush(self):
        """Bring every row of every sparse parameter up to the last step taken."""
        self._commit_all()
        for group, p, state in self._sparse_states():
            t = int(state["step"])
            last = state["last"]  # (V,)
            if not bool((last < t).any()):
                continue
            beta1, beta2 = (float(b) for b in group["betas"])
            S = state["deferred"].index_select(0, last).float()[:, None]  # (V, 1)
            k = (t - last).float()[:, None]  # (V, 1)
            m, v = state["exp_avg"], state["exp_avg_sq"]  # (V, D)
            p.sub_((m.float() * S).div_(v.float().sqrt().clamp_(min=1e-30)).to(p.dtype))
            m.mul_(torch.pow(beta1, k).to(m.dtype))
            v.mul_(torch.pow(beta2, k).to(v.dtype))
            last.fill_(t)

    @contextmanager
    def track(self, module):
        """Within the block, every forward pass of a sparse ``nn.Embedding``
        of ``module`` whose weight this optimizer trains first brings the rows
        it reads up to date; at the end every row is brought up to date and
        the hooks are removed."""
        trained = {id(p) for group in self.param_groups for p in group["params"]}

        def hook(embedding, inputs):
            self.catch_up(embedding.weight, inputs[0])

        handles = [m.register_forward_pre_hook(hook) for m in module.modules()
                   if isinstance(m, nn.Embedding) and m.sparse and id(m.weight) in trained]
        try:
            yield self
        finally:
            for handle in handles:
                handle.remove()
            self.flush()

    # -- state ----------------------------------------------------------------

    def state_dict(self):
        """torch's ``state_dict``, after writing any gathered rows' moments."""
        self._commit_all()
        return super().state_dict()

    def load_state_dict(self, state_dict):
        """torch's ``load_state_dict``, which casts every floating state
        tensor to its parameter's dtype; ``last`` (int64) and ``deferred``
        (float64) are then restored from ``state_dict`` as they were saved."""
        super().load_state_dict(state_dict)
        self._reads().clear()
        params = [p for group in self.param_groups for p in group["params"]]
        for index, saved in state_dict["state"].items():
            if "last" in saved:
                p = params[index]
                self.state[p]["last"] = saved["last"].to(p.device, torch.long, copy=True)
                self.state[p]["deferred"] = saved["deferred"].to(
                    p.device, torch.float64, copy=True)
