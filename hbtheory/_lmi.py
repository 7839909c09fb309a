r"""Batched solver of the small Lessard-Recht-Packard IQC LMIs (numpy only).

For each point (a method at ``(alpha, beta)`` in units ``L = 1``) the analysis LMI is

.. math::

    \begin{pmatrix} \hat A & \hat B \end{pmatrix}^T P \begin{pmatrix} \hat A & \hat B \end{pmatrix}
    - \rho^2 \begin{pmatrix} I & 0 \end{pmatrix}^T P \begin{pmatrix} I & 0 \end{pmatrix}
    + \sum_i \lambda_i \Pi_i(\rho) \preceq 0, \qquad P \succ 0, \quad \lambda_i \ge 0,

with :math:`\Pi_i = a_i^T b_i + b_i^T a_i` (each IQC is :math:`2 (a_i w)(b_i w) \ge 0` on
:math:`w = (\hat\xi, u)`) and :math:`a_i = a_i^0 + \rho^2 a_i^1`. The state has dimension 1 to 3
and there are one or two multipliers, so the LMI is at most 4 x 4 with 7 unknowns.

Feasibility at a given :math:`\rho` is decided by a phase-I problem solved by a barrier method,
batched over all points (every Newton system is ``nv x nv`` with ``nv <= 8``):

.. math::

    \max t \quad\text{s.t.}\quad -\mathrm{LMI}(P, \lambda) \succeq t I, \quad P \succeq t I,
    \quad \operatorname{tr} P = 1, \quad \lambda > 0.

Damped Newton steps (step ``1/(1 + decrement)``, Nesterov and Nemirovski) keep every iterate
strictly inside the domain without a line search, so all points move in lock-step. A point is
*feasible* when an iterate has ``t > 0`` and its certificate passes :func:`check` (the LMI
evaluated again from scratch, with a margin for rounding); it is *infeasible* when the duality
bound ``t + (1 + delta) m / T`` of the central path is below zero. Undecided points count as
infeasible, which can only make a certified rate larger (never wrong).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Arr = NDArray[np.float64]
_EPS = float(np.finfo(np.float64).eps)


class Problem:
    """A batch of LMIs of one state dimension ``n`` with ``k`` multipliers.

    ``ab``: ``(N, n, n+1)`` the matrix ``[A_hat, B_hat]``; ``a0``, ``a1``, ``b``: ``(N, k, n+1)``.
    """

    def __init__(self, ab: Arr, a0: Arr, a1: Arr, b: Arr) -> None:
        self.ab, self.a0, self.a1, self.b = ab, a0, a1, b
        self.N, self.n = ab.shape[0], ab.shape[1]
        self.k = a0.shape[1]
        n = self.n
        # trace-zero symmetric basis: diagonal differences and symmetric off-diagonal pairs
        basis = []
        for i in range(n - 1):
            e = np.zeros((n, n))
            e[i, i], e[n - 1, n - 1] = 1.0, -1.0
            basis.append(e)
        for i in range(n):
            for j in range(i + 1, n):
                e = np.zeros((n, n))
                e[i, j] = e[j, i] = 1.0
                basis.append(e)
        self.basis = np.array(basis).reshape(len(basis), n, n)
        self.q = len(basis)
        self.nv = self.q + self.k + 1

    def subset(self, idx: NDArray[np.intp]) -> Problem:
        return Problem(self.ab[idx], self.a0[idx], self.a1[idx], self.b[idx])

    def lyap(self, P: Arr, rho: Arr) -> Arr:
        """``[A B]^T P [A B] - rho^2 [I 0]^T P [I 0]`` for ``P`` of shape ``(N, ..., n, n)``."""
        extra = P.ndim - 3
        ab = self.ab.reshape(self.N, *(1,) * extra, self.n, self.n + 1)
        out = np.swapaxes(ab, -1, -2) @ P @ ab
        r2 = (rho * rho).reshape(self.N, *(1,) * (extra + 2))
        out[..., : self.n, : self.n] -= r2 * P
        return out

    def pis(self, rho: Arr) -> Arr:
        """``(N, k, n+1, n+1)``: the multiplier matrices at ``rho``."""
        a = self.a0 + (rho * rho)[:, None, None] * self.a1
        outer = a[..., :, None] * self.b[..., None, :]
        return outer + np.swapaxes(outer, -1, -2)

    def lmi(self, P: Arr, lam: Arr, rho: Arr) -> Arr:
        out: Arr = self.lyap(P, rho) + np.einsum("nk,nkij->nij", lam, self.pis(rho))
        return out

    def pmat(self, p: Arr, lam: Arr) -> Arr:
        scale = (1.0 - np.sum(lam, axis=-1))[:, None, None]
        out: Arr = scale * np.eye(self.n) / self.n + np.einsum("nq,qij->nij", p, self.basis)
        return out


def _inv(G: Arr) -> tuple[Arr, NDArray[np.bool_]]:
    """Inverses of a stack of matrices that should be positive definite, and where they are."""
    if G.shape[-1] in (2, 3) and G.shape[0] >= 64:
        small = _inv_small(G)
        if small is not None:
            return small
    try:
        inv0: Arr = np.asarray(np.linalg.inv(G), dtype=np.float64)
        return inv0, np.ones(G.shape[0], dtype=bool)
    except np.linalg.LinAlgError:
        w, V = np.linalg.eigh(G)
        good = w[:, 0] > 0.0
        w = np.where(w > 0.0, w, 1.0)
        inv: Arr = (V / w[:, None, :]) @ np.swapaxes(V, -1, -2)
        return inv, good


def _inv_small(G: Arr) -> tuple[Arr, NDArray[np.bool_]] | None:
    """Inverses of symmetric 2x2 or 3x3 matrices by the adjugate, elementwise over the stack
    (numpy's batched LAPACK pays a call per small matrix). Where a matrix is not safely
    positive definite (a leading minor below 2**-40 of its scale, or not finite) the stack goes to
    ``np.linalg.inv`` instead (``None``), so the Newton steps are those of the general path up to
    rounding."""
    m = G.shape[-1]
    with np.errstate(all="ignore"):
        if m == 2:
            a, b, d = G[:, 0, 0], 0.5 * (G[:, 0, 1] + G[:, 1, 0]), G[:, 1, 1]
            det = a * d - b * b
            scale = np.abs(a * d) + b * b
            out = np.empty_like(G)
            out[:, 0, 0], out[:, 1, 1] = d / det, a / det
            out[:, 0, 1] = out[:, 1, 0] = -b / det
            minors: tuple[Arr, ...] = (a, det)
        else:
            a, b, c = G[:, 0, 0], 0.5 * (G[:, 0, 1] + G[:, 1, 0]), 0.5 * (G[:, 0, 2] + G[:, 2, 0])
            d, e, f = G[:, 1, 1], 0.5 * (G[:, 1, 2] + G[:, 2, 1]), G[:, 2, 2]
            c00, c01, c02 = d * f - e * e, c * e - b * f, b * e - c * d
            c11, c12, c22 = a * f - c * c, b * c - a * e, a * d - b * b
            det = a * c00 + b * c01 + c * c02
            scale = np.abs(a * c00) + np.abs(b * c01) + np.abs(c * c02)
            out = np.empty_like(G)
            out[:, 0, 0], out[:, 1, 1], out[:, 2, 2] = c00 / det, c11 / det, c22 / det
            out[:, 0, 1] = out[:, 1, 0] = c01 / det
            out[:, 0, 2] = out[:, 2, 0] = c02 / det
            out[:, 1, 2] = out[:, 2, 1] = c12 / det
            minors = (a, c22, det)
        safe = np.isfinite(det) & (det > 2.0**-40 * scale)
        for x in minors:
            safe &= x > 0.0
    if not safe.all():
        return None
    return out, np.ones(G.shape[0], dtype=bool)


def check(prob: Problem, P: Arr, lam: Arr, rho: Arr) -> NDArray[np.bool_]:
    """Whether ``(P, lam)`` is a certificate at ``rho``, evaluated in float64 with a rounding margin.

    ``P`` must be positive definite and ``lam >= 0`` and the LMI's largest eigenvalue below
    ``-margin``, where ``margin`` bounds the rounding of the LMI's entries (each entry is a sum of at
    most ``(n + 1)^2 + 2 k`` products, evaluated with ``|.|`` everywhere: the classic
    ``gamma_m |A|^T |P| |A|`` bound, times a safety factor of 4) plus the eigen-solver's backward
    error (a few eps times the norm).
    """
    n, k = prob.n, prob.k
    m_terms = (n + 1) ** 2 + 2 * k + 4
    absab = np.abs(prob.ab)
    scale = np.swapaxes(absab, -1, -2) @ np.abs(P) @ absab
    scale[:, :n, :n] += (rho * rho)[:, None, None] * np.abs(P)
    a = np.abs(prob.a0) + (rho * rho)[:, None, None] * np.abs(prob.a1)
    outer = a[..., :, None] * np.abs(prob.b)[..., None, :]
    scale += np.einsum("nk,nkij->nij", np.abs(lam), outer + np.swapaxes(outer, -1, -2))
    margin = 4.0 * m_terms * _EPS * np.sqrt(np.sum(scale * scale, axis=(-1, -2)))
    lmi = prob.lmi(P, lam, rho)
    top = np.linalg.eigvalsh(lmi)[:, -1]
    pmin = np.linalg.eigvalsh(P)[:, 0]
    pnorm = np.sqrt(np.sum(P * P, axis=(-1, -2)))
    ok = (pmin > 16.0 * n * _EPS * pnorm) & np.all(lam >= 0.0, axis=-1) & (top < -margin)
    return np.asarray(ok & np.isfinite(top), dtype=bool)


def feasible(
    prob: Problem, rho: Arr, *, max_iter: int = 400, warm: tuple[Arr, Arr] | None = None
) -> tuple[NDArray[np.bool_], Arr, Arr]:
    """Decide strict feasibility at ``rho`` (shape ``(N,)``) for every point.

    Returns ``(ok, P, lam)``: ``ok`` is True only where a certificate was found and checked.
    ``warm = (v, T)``: start from the final iterates and barrier weights of a previous call at a
    nearby ``rho`` (``v`` is updated in place with this call's final iterates, ``T`` too), with the
    margin ``t`` reset below both minimum eigenvalues and the weight lowered 3 times.
    """
    N, n, k, q, nv = prob.N, prob.n, prob.k, prob.q, prob.nv
    m1 = n + 1
    ok = np.zeros(N, dtype=bool)
    P_out = np.zeros((N, n, n))
    lam_out = np.zeros((N, k))
    # constant pieces of the two matrix constraints as affine functions of v = (p, lam, t)
    lyap_basis = -prob.lyap(np.broadcast_to(prob.basis, (N, q, n, n)).copy(), rho) if q else np.zeros((N, 0, m1, m1))
    lyap0 = -prob.lyap(np.broadcast_to(np.eye(n) / n, (N, n, n)).copy(), rho)
    # normalisation tr P + sum(lam) = 1: P = (1 - sum lam) I/n + sum p_j E_j
    F1 = np.concatenate(
        [lyap_basis, -prob.pis(rho) - lyap0[:, None], np.broadcast_to(-np.eye(m1), (N, 1, m1, m1))], axis=1
    )
    F2 = np.concatenate(
        [prob.basis, np.broadcast_to(-np.eye(n) / n, (k, n, n)), -np.eye(n)[None]], axis=0
    )  # (nv, n, n), the same for every point
    F20 = np.eye(n) / n
    # start: lam = 1e-2 (Pi is O(1)), t below both minimum eigenvalues
    m_bar = m1 + n + k  # barrier parameter
    v = np.zeros((N, nv))
    v[:, q : q + k] = 0.5 / (k + 1)
    G1 = lyap0 + np.einsum("nv,nvij->nij", v[:, :-1], F1[:, :-1])
    v[:, -1] = np.minimum(np.linalg.eigvalsh(G1)[:, 0], 0.5 / (k + 1) / n) - 1.0
    T = np.full(N, 10.0)
    if warm is not None:
        hot = np.flatnonzero(np.all(np.isfinite(warm[0]), axis=1))
        if hot.size:
            vh = warm[0][hot].copy()
            Th = np.maximum(warm[1][hot] / 3.0, 10.0)
            G1 = lyap0[hot] + np.einsum("nv,nvij->nij", vh[:, :-1], F1[hot, :-1])
            G2 = F20 + np.einsum("nv,vij->nij", vh[:, :-1], F2[:-1])
            low = np.minimum(np.linalg.eigvalsh(G1)[:, 0], np.linalg.eigvalsh(G2)[:, 0])
            vh[:, -1] = low - m_bar / Th
            v[hot], T[hot] = vh, Th
    inner = np.zeros(N, dtype=np.int64)
    # Work on a compacted set `cur` of points; rows that finish are frozen (masked) rather than
    # removed at once, and the set is compacted when a quarter of it has finished: fancy-indexing
    # the (N, nv, 4, 4) constraint data at every iteration would cost as much as a Newton step.
    cur = np.arange(N)
    F1c, L0c, amask = F1, lyap0, np.ones(N, dtype=bool)
    eye_nv = np.eye(nv)
    for _ in range(max_iter):
        if not amask.any():
            break
        if amask.sum() < 0.75 * cur.size:
            keep = np.flatnonzero(amask)
            cur, F1c, L0c, amask = cur[keep], F1c[keep], L0c[keep], np.ones(keep.size, dtype=bool)
        na = cur.size
        va, Ta = v[cur], T[cur]
        G1 = L0c + (va[:, None, :] @ F1c.reshape(na, nv, m1 * m1)).reshape(na, m1, m1)
        G2 = F20 + (va @ F2.reshape(nv, n * n)).reshape(na, n, n)
        lam = va[:, q : q + k]
        with np.errstate(all="ignore"):
            G1inv, ok1 = _inv(G1)
            G2inv, ok2 = _inv(G2)
            W1 = G1inv[:, None] @ F1c
            W2 = G2inv[:, None] @ F2[None]
            H = W1.reshape(na, nv, m1 * m1) @ np.swapaxes(W1, -1, -2).reshape(na, nv, m1 * m1).transpose(0, 2, 1)
            H += W2.reshape(na, nv, n * n) @ np.swapaxes(W2, -1, -2).reshape(na, nv, n * n).transpose(0, 2, 1)
            g = -W1.reshape(na, nv, m1 * m1)[:, :, :: m1 + 1].sum(-1)
            g -= W2.reshape(na, nv, n * n)[:, :, :: n + 1].sum(-1)
            g[:, q : q + k] -= 1.0 / lam
            idx = np.arange(q, q + k)
            H[:, idx, idx] += 1.0 / (lam * lam)
        g[:, -1] -= Ta
        H[:, np.arange(nv), np.arange(nv)] *= 1.0 + 1e-13
        usable = amask & ok1 & ok2 & np.all(np.isfinite(H), axis=(-1, -2)) & np.all(np.isfinite(g), axis=-1)
        H[~usable], g[~usable] = eye_nv, 0.0  # frozen or broken rows: a harmless system
        with np.errstate(all="ignore"):
            try:
                step = -np.linalg.solve(H, g[..., None])[..., 0]
            except np.linalg.LinAlgError:
                step = np.full_like(g, np.nan)
        sane = np.all(np.isfinite(step), axis=-1) & usable
        step[~sane] = 0.0
        dec = np.sqrt(np.maximum(-np.sum(step * g, axis=-1), 0.0))
        damp = np.where(dec > 0.25, 1.0 / (1.0 + dec), 1.0)
        va = va + damp[:, None] * step
        live = cur[amask]
        v[live] = va[amask]
        centred = dec < 0.3
        T[live] = np.where(centred, Ta * 30.0, Ta)[amask]
        inner[live] = np.where(centred, 0, inner[cur] + 1)[amask]
        stalled = inner[cur] > 30  # Newton no longer converges (rounding at a huge weight): undecided
        t = va[:, -1]
        # decisions (only for rows still active)
        pos = amask & (t > 0.0)
        done = np.zeros(na, dtype=bool)
        if pos.any():
            sel = cur[pos]
            lam_s = v[sel, q : q + k]
            P = prob.pmat(v[sel, :q], lam_s)
            good = check(prob.subset(sel), P, lam_s, rho[sel])
            ok[sel[good]] = True
            P_out[sel[good]], lam_out[sel[good]] = P[good], lam_s[good]
            done[np.flatnonzero(pos)[good]] = True
        bound = t + (1.0 + dec) * 1.5 * m_bar / Ta
        done |= centred & (bound < 0.0)
        done |= (T[cur] > 1e13) | ~sane | stalled
        amask = amask & ~done
    if warm is not None:
        warm[0][...] = v
        warm[1][...] = T
    return ok, P_out, lam_out


def shrink(prob: Problem, P: Arr, lam: Arr, rho: Arr) -> Arr:
    """The smallest ``rho' <= rho`` at which the certificate ``(P, lam)`` (valid at ``rho``) still checks.

    The LMI is affine in ``s = rho^2``: ``M(s) = M0 + (s - s0) W``; with ``M0`` negative definite,
    ``M(s0 - d)`` stays negative definite for ``d < 1 / max(0, -lambda_min(S))``,
    ``S = (-M0)^{-1/2} W (-M0)^{-1/2}``. The candidate (backed off by 1e-9 relative) is checked
    again; where the check fails ``rho`` itself is kept.
    """
    s0 = rho * rho
    M0 = prob.lmi(P, lam, rho)
    W = prob.lmi(P, lam, np.ones_like(rho)) - prob.lmi(P, lam, np.zeros_like(rho))
    w, V = np.linalg.eigh(-M0)
    w = np.maximum(w, 1e-300)
    R = V / np.sqrt(w)[:, None, :]
    S = np.swapaxes(R, -1, -2) @ W @ R
    low = np.linalg.eigvalsh(S)[:, 0]
    with np.errstate(divide="ignore"):
        d = np.where(low < 0.0, -1.0 / low, np.inf)
    s_new = np.maximum(s0 - d * (1.0 - 1e-6), 0.0)
    out: Arr = rho.copy()
    for back in (1e-6, 1e-3, 0.1):
        s_new = np.maximum(s0 - d * (1.0 - back), 0.0)
        cand = np.sqrt(s_new)
        need = out == rho
        if not need.any():
            break
        idx = np.flatnonzero(need)
        good = check(prob.subset(idx), P[idx], lam[idx], cand[idx])
        out[idx[good]] = cand[idx[good]]
    return out
