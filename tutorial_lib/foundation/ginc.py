"""GINC (Xie et al., ICLR 2022): a mixture of HMMs whose documents share a latent concept.

Written afresh from the paper's description (the official code has no licence). The paper's own
synthetic toy, in its smallest setting (50 tokens):

- a hidden state is a pair (entity ``v``, property ``s``), numbered ``h = v * n_slots + s``;
- a shared *memory matrix* ``M`` (entities x properties) of tokens emits ``M[v, s]``
  deterministically; property 0 emits the delimiter token 0 (``/``) for every entity;
- a *concept* is a property transition matrix (a softmax-weighted mixture of random permutation
  matrices, temperature 0.1, so nearly a permutation); the entity transition matrix is shared
  (0.9 identity + 0.1 mixture of permutations); the joint transition is their Kronecker product;
- pre-training documents are sampled from one uniformly drawn concept;
- an in-context prompt fixes a concept and a start property; every example starts at a random
  entity with that property, runs ``k`` tokens, and ends with the delimiter; the test example
  stops one token early and its label is the next token the true concept makes most likely.

One simplification: every transition matrix is mixed with a uniform floor (``smoothing``), so
no prompt has probability zero under the pre-training distribution and the Bayes predictor below
is exact and finite on every prompt.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

DELIM = 0  # token id of the delimiter "/"


@dataclass(frozen=True)
class GINC:
    """The parameters of one GINC mixture (NumPy arrays, float64)."""

    memory: np.ndarray  # (n_values, n_slots) token ids; column 0 is the delimiter
    slot_T: np.ndarray  # (C, S, S) property transitions, one per concept
    value_T: np.ndarray  # (V, V) entity transitions, shared
    start: np.ndarray  # (C, H) start distribution of a document per concept
    vocab: int
    smoothing: float

    @property
    def n_concepts(self) -> int:
        return self.slot_T.shape[0]

    @property
    def n_slots(self) -> int:
        return self.memory.shape[1]

    @property
    def n_hidden(self) -> int:
        return self.memory.size

    @property
    def transitions(self) -> np.ndarray:
        """(C, H, H): ``T[c, h, g] = P(h_{t+1} = g | h_t = h, concept c)``."""
        H = self.n_hidden
        T = np.stack([np.kron(self.value_T, s) for s in self.slot_T])
        return (1 - self.smoothing) * T + self.smoothing / H

    @property
    def emit(self) -> np.ndarray:
        """(H,) the token each hidden state emits."""
        return self.memory.reshape(-1)


def _softmax(x: np.ndarray, temp: float) -> np.ndarray:
    z = (x - x.max()) / temp
    return np.exp(z) / np.exp(z).sum()


def permutation_mixture(n: int, rng: np.random.Generator, temp: float) -> np.ndarray:
    """A row-stochastic (n, n) matrix: ``n`` random permutation matrices mixed with weights
    ``softmax((u - 0.5) / temp)``, ``u`` uniform; a low temperature makes one permutation dominate."""
    weights = _softmax(rng.random(n) - 0.5, temp)
    perms = np.stack([np.eye(n)[rng.permutation(n)] for _ in range(n)])
    return np.tensordot(weights, perms, axes=1)


def make_ginc(seed: int = 0, vocab: int = 50, n_values: int = 10, n_slots: int = 10,
              n_concepts: int = 5, transition_temp: float = 0.1, start_temp: float = 10.0,
              value_identity: float = 0.9, smoothing: float = 1e-3) -> GINC:
    """Draw one GINC mixture (the paper's defaults: 10 entities, 10 properties, 5 concepts)."""
    if vocab < 2 or n_slots < 2 or n_values < 1 or n_concepts < 1:
        raise ValueError("need vocab >= 2, n_slots >= 2, n_values >= 1 and n_concepts >= 1")
    rng = np.random.default_rng(seed)
    memory = rng.integers(1, vocab, size=(n_values, n_slots))
    memory[:, 0] = DELIM
    value_T = value_identity * np.eye(n_values) + (1 - value_identity) * permutation_mixture(
        n_values, rng, transition_temp)
    slot_T = np.stack([permutation_mixture(n_slots, rng, transition_temp) for _ in range(n_concepts)])
    H = n_values * n_slots
    start = np.stack([_softmax(rng.random(H) - 0.5, start_temp) for _ in range(n_concepts)])
    return GINC(memory, slot_T, value_T, start, vocab, smoothing)


def sample_chains(T: np.ndarray, which: np.ndarray, h0: np.ndarray, length: int,
                  rng: np.random.Generator) -> np.ndarray:
    """Batched Markov chains: chain ``i`` follows ``T[which[i]]`` (``T`` is (C, H, H)) from the
    state ``h0[i]``; returns (N, length) hidden states, the first being ``h0``."""
    cdf = np.cumsum(T, axis=-1)
    cdf[..., -1] = 1.0
    out = np.empty((len(h0), length), dtype=np.int64)
    out[:, 0] = h0
    for t in range(1, length):
        u = rng.random(len(h0))[:, None]
        out[:, t] = (u > cdf[which, out[:, t - 1]]).sum(-1)
    return out


def sample_documents(g: GINC, n: int, length: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` pre-training documents of ``length`` tokens: returns tokens (n, length) and the
    concept of each document (n,). Concepts are drawn uniformly."""
    rng = np.random.default_rng(seed)
    concepts = rng.integers(0, g.n_concepts, n)
    start_cdf = np.cumsum(g.start[concepts], axis=-1)
    h0 = (rng.random(n)[:, None] > start_cdf).sum(-1).clip(max=g.n_hidden - 1)
    hidden = sample_chains(g.transitions, concepts, h0, length, rng)
    return g.emit[hidden], concepts


# ----------------------------------------------------------------------------- forward algorithm
def forward_step(alpha: torch.Tensor, T: torch.Tensor, likelihood: torch.Tensor) -> torch.Tensor:
    """One step of the HMM forward algorithm over (concept, hidden state) pairs.

    ``alpha`` (N, C, H) is the posterior over (concept, state) after the tokens so far,
    ``T`` (C, H, H) the transitions, ``likelihood`` (N, C, H) the probability of the next observed
    token in each state. Returns the posterior after that token, normalised over (C, H)."""
    new = torch.einsum("nch,chg->ncg", alpha, T) * likelihood
    return new / new.sum((1, 2), keepdim=True)


def posterior(tokens: torch.Tensor, T: torch.Tensor, start: torch.Tensor,
              emit: torch.Tensor) -> torch.Tensor:
    """Posterior over (concept, hidden state) after all of ``tokens`` (N, L), by the forward
    algorithm. ``start`` (N, C, H) or (C, H) is the joint prior of the first state (concept prior
    times start distribution), ``emit`` (H,) the token of each state. Returns (N, C, H)."""
    N, L = tokens.shape
    lik = lambda t: (emit[None, None, :] == tokens[:, t, None, None]).to(T.dtype)  # noqa: E731
    alpha = start.expand(N, *T.shape[:2]) * lik(0)
    alpha = alpha / alpha.sum((1, 2), keepdim=True)
    for t in range(1, L):
        alpha = forward_step(alpha, T, lik(t))
    return alpha


def next_token_probs(alpha: torch.Tensor, T: torch.Tensor, emit: torch.Tensor, vocab: int) -> torch.Tensor:
    """(N, vocab): probability of the next token given the posterior ``alpha`` (N, C, H)."""
    nxt = torch.einsum("nch,chg->ng", alpha, T)
    out = torch.zeros(alpha.shape[0], vocab, dtype=T.dtype, device=T.device)
    return out.index_add_(1, emit, nxt)


def _tensors(g: GINC, device) -> tuple[torch.Tensor, torch.Tensor]:
    return (torch.as_tensor(g.transitions, device=device),
            torch.as_tensor(g.emit, device=device))


def bayes_predict(g: GINC, tokens: np.ndarray | torch.Tensor, device=None,
                  batch: int = 512) -> np.ndarray:
    """The Bayes-optimal next-token distribution under the *pre-training* mixture: a uniform
    prior over concepts, each document starting from its concept's start distribution; the
    prompt is read as if it were a pre-training document. Returns (N, vocab) probabilities."""
    T, emit = _tensors(g, device)
    start = torch.as_tensor(g.start, device=device) / g.n_concepts
    tokens = torch.as_tensor(tokens, device=device)
    outs = [next_token_probs(posterior(tb, T, start, emit), T, emit, g.vocab)
            for tb in tokens.split(batch)]
    return torch.cat(outs).cpu().numpy()


# ----------------------------------------------------------------------------- prompts
@dataclass(frozen=True)
class PromptSet:
    """In-context items: per item a concept, a start property and ``n_max + 1`` example chains of
    ``k_max`` hidden states (the last one is the test example). Prompts with fewer examples use
    the examples just before the test one; shorter examples are prefixes, so every (n, k) cell
    shares the same test items (paired comparisons)."""

    concept: np.ndarray  # (N,)
    slot: np.ndarray  # (N,)
    hidden: np.ndarray  # (N, n_max + 1, k_max)

    @property
    def n_max(self) -> int:
        return self.hidden.shape[1] - 1

    @property
    def k_max(self) -> int:
        return self.hidden.shape[2]


def make_prompts(g: GINC, n_items: int, n_max: int = 16, k_max: int = 10, seed: int = 1) -> PromptSet:
    """Draw ``n_items`` in-context items from the prompt distribution of the paper."""
    rng = np.random.default_rng(seed)
    S, V = g.n_slots, g.memory.shape[0]
    concept = rng.integers(0, g.n_concepts, n_items)
    slot = rng.integers(1, S, n_items)  # never the delimiter property
    values = rng.integers(0, V, (n_items, n_max + 1))
    h0 = (values * S + slot[:, None]).reshape(-1)
    which = np.repeat(concept, n_max + 1)
    hidden = sample_chains(g.transitions, which, h0, k_max, rng).reshape(n_items, n_max + 1, k_max)
    return PromptSet(concept, slot, hidden)


def prompt_tokens(g: GINC, ps: PromptSet, n: int, k: int,
                  order: np.ndarray | None = None) -> np.ndarray:
    """Tokens (N, (k + 1) * n + k - 1): ``n`` examples of ``k`` tokens, each followed by the
    delimiter, then the first ``k - 1`` tokens of the test example. ``order`` (N, n) permutes the
    examples per item (default: as drawn)."""
    if not (0 <= n <= ps.n_max and 2 <= k <= ps.k_max):
        raise ValueError(f"need 0 <= n <= {ps.n_max} and 2 <= k <= {ps.k_max}, got n={n}, k={k}")
    ex = g.emit[ps.hidden[:, ps.n_max - n: ps.n_max, :k]]  # (N, n, k)
    if order is not None:
        ex = np.take_along_axis(ex, order[:, :, None], axis=1)
    ex = np.concatenate([ex, np.full(ex.shape[:2] + (1,), DELIM)], axis=2).reshape(len(ex), -1)
    test = g.emit[ps.hidden[:, -1, : k - 1]]
    return np.concatenate([ex, test], axis=1)


def labels(g: GINC, ps: PromptSet, k: int, device=None) -> np.ndarray:
    """The label of each item's test example: the most likely next token under the item's true
    concept, given its first ``k - 1`` tokens and that it starts at the item's property."""
    T, emit = _tensors(g, device)
    N, S = len(ps.concept), g.n_slots
    start = torch.zeros(N, g.n_concepts, g.n_hidden, dtype=T.dtype, device=device)
    items = torch.arange(N, device=device)
    for v in range(g.memory.shape[0]):
        start[items, torch.as_tensor(ps.concept, device=device), v * S + torch.as_tensor(ps.slot, device=device)] = 1.0
    x = torch.as_tensor(g.emit[ps.hidden[:, -1, : k - 1]], device=device)
    alpha = posterior(x, T, start / start.sum((1, 2), keepdim=True), emit)
    return next_token_probs(alpha, T, emit, g.vocab).argmax(1).cpu().numpy()


def decode(tokens: np.ndarray) -> str:
    """Tokens as text: the delimiter is ``/``, the others letters (a-z, then A-Z, then ``t<id>``)."""
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return " ".join("/" if t == DELIM else letters[t - 1] if t <= len(letters) else f"t{t}"
                    for t in np.asarray(tokens).tolist())


def prompt_bayes_predict(g: GINC, tokens: np.ndarray | torch.Tensor, n: int, k: int,
                         device=None, dtype: torch.dtype = torch.float32) -> np.ndarray:
    """The Bayes-optimal predictor of the *prompt* distribution (an ideal reader who knows the
    prompt format): a posterior over (concept, start property) in which every example restarts
    at a uniformly random entity with the shared start property and the delimiters carry no
    information. The examples enter as a product of likelihoods, so the answer does not depend
    on their order. ``tokens`` (N, (k + 1) * n + k - 1) as from :func:`prompt_tokens`.
    Returns (N, vocab) probabilities (computed in ``dtype``; float32 is 2-3x faster on a CPU)."""
    T, emit = _tensors(g, device)
    T = T.to(dtype)
    x = torch.as_tensor(tokens, device=device)
    N, S, V, H = x.shape[0], g.n_slots, g.memory.shape[0], g.n_hidden
    if x.shape[1] != (k + 1) * n + k - 1:
        raise ValueError(f"expected {(k + 1) * n + k - 1} tokens for n={n}, k={k}, got {x.shape[1]}")
    # extended concepts: (concept, start property 1..S-1)
    Tx = T.repeat_interleave(S - 1, dim=0)  # (C * (S-1), H, H)
    restart = torch.zeros(S - 1, H, dtype=T.dtype, device=device)
    for s in range(1, S):
        restart[s - 1, torch.arange(V, device=device) * S + s] = 1.0 / V
    restart = restart.repeat(g.n_concepts, 1)  # (C * (S-1), H)
    lik = lambda t: (emit[None, None, :] == x[:, t, None, None]).to(T.dtype)  # noqa: E731
    weight = torch.full((N, Tx.shape[0]), 1.0 / Tx.shape[0], dtype=T.dtype, device=device)
    for i in range(n + 1):
        base = i * (k + 1)
        steps = k if i < n else k - 1
        alpha = weight[:, :, None] * restart[None] * lik(base)
        for t in range(1, steps):
            alpha = torch.einsum("nch,chg->ncg", alpha, Tx) * lik(base + t)
            alpha = alpha / alpha.sum((1, 2), keepdim=True).clamp_min(1e-300)
        weight = alpha.sum(-1) / alpha.sum((1, 2))[:, None]
    alpha = alpha / alpha.sum((1, 2), keepdim=True)
    nxt = torch.einsum("nch,chg->ng", alpha, Tx)
    return torch.zeros(N, g.vocab, dtype=T.dtype, device=device).index_add_(1, emit, nxt).cpu().numpy()
