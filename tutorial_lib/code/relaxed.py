"""The papers' optimiser (Srikant et al., ICLR 2021): site selection and site content relaxed and
optimised together by projected gradient ascent, optionally with randomized smoothing.

For each program with S sites and candidate words C:
- site vector ``z`` in [0, 1]^S with sum(z) = k (projection by bisection on a threshold);
- content ``u_s`` on the probability simplex over candidate words, per site (projection by sorting);
- the embedding at every position of site s is ``z_s * (u_s @ E) + (1 - z_s) * e0_s``, where
  ``e0_s`` is the original identifier's mean subtoken embedding (rename sites) or the embedding of
  the random start word (insert sites: the relaxed program holds every insert statement; only the
  k selected ones are kept at the end);
- ascent steps with step size ``lr / sqrt(t)``: AO alternates a u step and a z step (two
  forward/backward passes per step), JO moves both from one gradient;
- smoothing: Gaussian noise (sigma on the one-hot input, here ``sigma * N(0, I) @ E`` drawn
  exactly as ``sigma * g @ chol(E^T E)^T``) averaged over ``samples`` gradient evaluations.

To keep the simplex small on a CPU, ``u_s`` lives on the ``n_cand`` words with the largest
first-order gain at the start (the papers use the whole vocabulary). After every step the relaxed
solution is rounded (top-k of z, the best fresh word of u) and scored exactly; per program the
highest-loss rounded program is kept (the clean and the random start included), so the attack
never lowers the loss it maximises.
"""

from __future__ import annotations

import math
import random

import torch

from .dataset import Vocab, split_identifier
from .model import NamePredictor, make_batch
from .programs import (
    Program,
    apply_edits,
    candidate_tokens,
    is_insert,
    program_losses,
    random_edits,
)


def project_capped_simplex(v: torch.Tensor, k: torch.Tensor, mask: torch.Tensor,
                           iters: int = 40) -> torch.Tensor:
    """Euclidean projection of each row of ``v`` onto {z in [0,1]^S : sum z = k, z = 0 off mask}
    (bisection on the threshold tau of ``clip(v - tau, 0, 1)``). ``k`` (B,) is clipped to the
    row's number of valid entries."""
    k = torch.minimum(k.float(), mask.sum(1).float())
    v = v.masked_fill(~mask, -1e9)
    lo = v.masked_fill(~mask, 1e9).min(1).values - 1
    hi = v.max(1).values
    for _ in range(iters):
        tau = (lo + hi) / 2
        s = (v - tau[:, None]).clamp(0, 1).sum(1)
        lo = torch.where(s > k, tau, lo)
        hi = torch.where(s > k, hi, tau)
    return ((v - ((lo + hi) / 2)[:, None]).clamp(0, 1)) * mask


def project_simplex(v: torch.Tensor) -> torch.Tensor:
    """Euclidean projection of each row (last axis) onto the probability simplex (sorting)."""
    u, _ = v.sort(-1, descending=True)
    css = u.cumsum(-1) - 1
    idx = torch.arange(1, v.shape[-1] + 1, device=v.device, dtype=v.dtype)
    rho = ((u - css / idx) > 0).sum(-1, keepdim=True).clamp(min=1)
    theta = css.gather(-1, rho - 1) / rho
    return (v - theta).clamp(min=0)


def relaxed_attack(model: NamePredictor, programs: list[Program], vocab: Vocab, k: int = 5,
                   mode: str = "ao", steps: int = 5, lr_z: float = 0.5, lr_u: float = 0.5,
                   smooth: bool = False, sigma: float = 0.01, samples: int = 10, n_cand: int = 256,
                   seed: int = 0, history: list | None = None, sites: str = "optimise") -> list[dict]:
    """Edits ({site: word}, at most ``k`` sites) per program by AO (``mode="ao"``) or JO
    (``"jo"``). ``sites="random"`` fixes z at k random sites (the same ones as the random start)
    and optimises content only: the ablation that isolates site selection. ``history``, if given,
    receives per step the batch's mean relaxed loss and mean best rounded loss."""
    if sites not in ("optimise", "random"):
        raise ValueError(f"sites must be 'optimise' or 'random', got {sites!r}.")
    if mode not in ("ao", "jo"):
        raise ValueError(f"mode must be 'ao' or 'jo', got {mode!r}.")
    model.eval()
    dev = next(model.parameters()).device
    E = model.emb.weight.detach()
    cand_ids = torch.tensor(candidate_tokens(vocab), device=dev)
    cands = [vocab.itos[i] for i in cand_ids.tolist()]
    Ec = E[cand_ids]
    chol = torch.linalg.cholesky(Ec.t() @ Ec + 1e-6 * torch.eye(E.shape[1], device=dev))
    gen = torch.Generator(device="cpu").manual_seed(seed)
    rngs = [random.Random(seed * 1_000_003 + i) for i in range(len(programs))]
    B, S = len(programs), max(1, max(len(p.sites) for p in programs))
    mask = torch.zeros(B, S, dtype=torch.bool, device=dev)
    for i, p in enumerate(programs):
        mask[i, :len(p.sites)] = True
    # the relaxed program: every site holds a word (random start), at its positions
    start_all = [random_edits(p, p.sites, cands, r) for p, r in zip(programs, rngs)]
    applied = [apply_edits(p, e) for p, e in zip(programs, start_all)]
    batch = make_batch([a[0] for a in applied], [p.target for p in programs], vocab, model.max_len,
                       model.max_tgt, dev)
    L = batch["src"].shape[1]
    P = torch.zeros(B, S, L, device=dev)  # site -> positions
    e0 = torch.zeros(B, S, E.shape[1], device=dev)
    for i, (p, (_, pos)) in enumerate(zip(programs, applied)):
        for j, s in enumerate(p.sites):
            for q in pos[s]:
                if q < L:
                    P[i, j, q] = 1.0
            if is_insert(s):
                e0[i, j] = E[vocab.id(start_all[i][s])]
            else:
                ids = [vocab.id(t) for t in split_identifier(s) or [s.lower()]]
                e0[i, j] = E[ids].mean(0)
    base = model.emb(batch["src"]).detach()
    on_site = P.sum(1, keepdim=True).transpose(1, 2).clamp(max=1)  # (B, L, 1)

    def loss_and_grads(z, c, need_z, need_c):
        z = z.detach().requires_grad_(need_z)
        c = c.detach().requires_grad_(need_c)
        site_emb = z[..., None] * c + (1 - z[..., None]) * e0  # (B, S, d)
        emb = base * (1 - on_site) + torch.einsum("bsl,bsd->bld", P, site_emb)
        loss = model.loss(batch, embeds=emb, per_example=True)
        wrt = [t for t, n in ((z, need_z), (c, need_c)) if n]
        if not wrt:
            return loss.detach(), None, None
        grads = torch.autograd.grad(loss.sum(), wrt)
        it = iter(grads)
        return loss.detach(), (next(it) if need_z else None), (next(it) if need_c else None)

    # content simplex over the n_cand best first-order words per site
    _, _, gc = loss_and_grads(torch.ones(B, S, device=dev), e0, False, True)
    gain = gc @ Ec.t()  # (B, S, C)
    taken = torch.zeros(B, len(cands), dtype=torch.bool, device=dev)
    for i, p in enumerate(programs):
        taken[i] = torch.tensor([c in p.taken for c in cands], device=dev)
    gain = gain.masked_fill(taken[:, None, :], -1e9)
    top = gain.topk(min(n_cand, len(cands)), -1).indices  # (B, S, M)
    Et = Ec[top]  # (B, S, M, d)
    u = torch.zeros(top.shape, device=dev)
    u[..., 0] = 1.0  # start at the best first-order word
    kk = torch.full((B,), float(k), device=dev)
    z = project_capped_simplex(torch.full((B, S), k / S, device=dev), kk, mask)

    def grads_at(z, u, need_z, need_c):
        """Loss and gradients, averaged over smoothing samples when ``smooth``."""
        n = samples if smooth else 1
        tot_l, tot_z, tot_u = 0.0, 0.0, 0.0
        for _ in range(n):
            c = torch.einsum("bsm,bsmd->bsd", u, Et)
            if smooth:
                noise = torch.randn(c.shape, generator=gen).to(dev) @ chol.t()
                c = c + sigma * noise
            l_, gz, g_c = loss_and_grads(z, c, need_z, need_c)
            tot_l = tot_l + l_ / n
            if need_z:
                tot_z = tot_z + gz / n
            if need_c:
                tot_u = tot_u + torch.einsum("bsd,bsmd->bsm", g_c, Et) / n
        return tot_l, tot_z, tot_u

    def normed(g):
        return g / g.abs().flatten(1).amax(1).clamp(min=1e-12).view(-1, *[1] * (g.dim() - 1))

    def rounded(z, u):
        out = []
        for i, p in enumerate(programs):
            n_s = len(p.sites)
            keep = z[i, :n_s].topk(min(k, n_s)).indices.tolist()
            e: dict[str, str] = {}
            for j in keep:
                for m in u[i, j].argsort(descending=True).tolist():
                    w = cands[top[i, j, m]]
                    if w not in p.taken and w not in e.values():
                        e[p.sites[j]] = w
                        break
            out.append(e)
        return out

    chosen = [r.sample(p.sites, min(k, len(p.sites))) for p, r in zip(programs, rngs)]
    if sites == "random":
        z = torch.zeros(B, S, device=dev)
        for i, p in enumerate(programs):
            for s_ in chosen[i]:
                z[i, p.sites.index(s_)] = 1.0
    best = [{} for _ in programs]
    best_loss = program_losses(model, programs, best, vocab)
    rnd = [{s: start_all[i][s] for s in chosen[i]} for i in range(B)]
    for cand in (rnd, rounded(z, u)):
        lc = program_losses(model, programs, cand, vocab)
        for i in range(B):
            if lc[i] > best_loss[i]:
                best_loss[i], best[i] = lc[i], dict(cand[i])
    for t in range(1, steps + 1):
        step = 1 / math.sqrt(t)
        if mode == "jo":
            loss, gz, gu = grads_at(z, u, True, True)
            u = project_simplex(u + lr_u * step * normed(gu))
            if sites == "optimise":
                z = project_capped_simplex(z + lr_z * step * normed(gz * mask), kk, mask)
        else:
            _, _, gu = grads_at(z, u, False, True)
            u = project_simplex(u + lr_u * step * normed(gu))
            if sites == "optimise":
                loss, gz, _ = grads_at(z, u, True, False)
                z = project_capped_simplex(z + lr_z * step * normed(gz * mask), kk, mask)
            else:
                loss = grads_at(z, u, False, False)[0]
        cand = rounded(z, u)
        lc = program_losses(model, programs, cand, vocab)
        for i in range(B):
            if lc[i] > best_loss[i]:
                best_loss[i], best[i] = lc[i], dict(cand[i])
        if history is not None:
            history.append({"step": t, "relaxed_loss": float(loss.mean()),
                            "best_rounded_loss": float(best_loss.mean())})
    return best
