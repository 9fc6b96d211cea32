"""Small language models pre-trained on GINC, and their in-context accuracy.

Two next-token models of about the same size: a tiny GPT (``nn.TransformerEncoder`` layers with a
causal mask, pre-norm, learned positions) and an LSTM. Both are pre-trained on GINC documents
drawn from a fixed seed, so the zoo can rebuild the shipped checkpoints exactly.
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from tutorial_lib.core import zoo
from tutorial_lib.core.config import pick_knobs
from tutorial_lib.core.fit import fit

from . import ginc

# quick: the shipped CPU checkpoints (1 thread, a few minutes each); full: wider, deeper models on
# more documents, for a GPU (trained live by the notebook in the full profile).
KNOBS = {
    "quick": {"d_model": 64, "layers": 3, "heads": 4, "lstm_hidden": 128, "lstm_layers": 2,
              "ctx": 128, "batch": 32, "steps": 2000, "lr": 2e-3, "n_docs": 8000,
              "n_items": 400, "n_examples": [0, 1, 2, 4, 8], "lengths": [3, 5, 8, 10],
              "n_orders": 10},
    "full": {"d_model": 256, "layers": 8, "heads": 8, "lstm_hidden": 512, "lstm_layers": 2,
             "ctx": 512, "batch": 64, "steps": 20000, "lr": 1e-3, "n_docs": 100000,
             "n_items": 2000, "n_examples": [0, 1, 2, 4, 8, 16, 32, 40], "lengths": [3, 5, 8, 10],
             "n_orders": 20},
    # FRFM_SMOKE=1: the same code paths on a tiny model, two steps (numbers mean nothing)
    "smoke": {"d_model": 32, "layers": 1, "heads": 2, "lstm_hidden": 32, "lstm_layers": 1,
              "batch": 8, "steps": 2, "n_docs": 200, "n_items": 20, "n_examples": [0, 1, 4],
              "lengths": [3, 5, 10], "n_orders": 2},
}
GINC_SEED, DOC_SEED, EVAL_SEED = 0, 1, 2  # the mixture, the pre-training documents, the check prompts


def knobs(profile: str | None = None) -> dict:
    """This lesson's knobs for ``profile`` (default: the active ``FRFM_PROFILE``), as a copy."""
    return pick_knobs(KNOBS, profile)


def mixture() -> ginc.GINC:
    """The one GINC mixture every model and notebook of the kit uses (50 tokens, 5 concepts)."""
    return ginc.make_ginc(seed=GINC_SEED)


class TinyGPT(nn.Module):
    """A causal transformer language model: token + position embeddings, pre-norm layers."""

    def __init__(self, vocab: int = 50, d_model: int = 64, layers: int = 3, heads: int = 4, ctx: int = 128):
        super().__init__()
        self.ctx = ctx
        self.tok = nn.Embedding(vocab, d_model)
        self.pos = nn.Embedding(ctx, d_model)
        layer = nn.TransformerEncoderLayer(d_model, heads, 4 * d_model, dropout=0.0,
                                           activation="gelu", batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Next-token logits (N, L, vocab) for tokens ``x`` (N, L), L <= ctx."""
        L = x.shape[1]
        if L > self.ctx:
            raise ValueError(f"prompt of {L} tokens is longer than the model's context {self.ctx}")
        h = self.tok(x) + self.pos(torch.arange(L, device=x.device))
        mask = nn.Transformer.generate_square_subsequent_mask(L, device=x.device)
        return self.head(self.norm(self.blocks(h, mask=mask, is_causal=True)))


class LSTMLM(nn.Module):
    """An LSTM language model: embedding, stacked LSTM, linear read-out."""

    def __init__(self, vocab: int = 50, hidden: int = 128, layers: int = 2):
        super().__init__()
        self.tok = nn.Embedding(vocab, hidden)
        self.lstm = nn.LSTM(hidden, hidden, layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Next-token logits (N, L, vocab) for tokens ``x`` (N, L)."""
        return self.head(self.lstm(self.tok(x))[0])


def build_transformer(cfg: dict | None = None) -> TinyGPT:
    """The shipped transformer's architecture (quick knobs unless ``cfg`` is given)."""
    c = cfg or KNOBS["quick"]
    return TinyGPT(mixture().vocab, c["d_model"], c["layers"], c["heads"], c["ctx"])


def build_lstm(cfg: dict | None = None) -> LSTMLM:
    """The shipped LSTM's architecture (quick knobs unless ``cfg`` is given)."""
    c = cfg or KNOBS["quick"]
    return LSTMLM(mixture().vocab, c["lstm_hidden"], c["lstm_layers"])


@torch.no_grad()
def predict_next(model: nn.Module, tokens: np.ndarray, device=None, batch: int = 256) -> np.ndarray:
    """The model's most likely next token after each prompt (N,)."""
    model.eval()
    dev = device or next(model.parameters()).device
    x = torch.as_tensor(tokens, device=dev)
    return torch.cat([model(b)[:, -1].argmax(-1) for b in x.split(batch)]).cpu().numpy()


def check_prompts(n_items: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """The fixed prompts whose accuracy a checkpoint records: 8 examples of length 5."""
    g = mixture()
    ps = ginc.make_prompts(g, n_items, n_max=8, k_max=5, seed=EVAL_SEED)
    return ginc.prompt_tokens(g, ps, 8, 5), ginc.labels(g, ps, 5)


def next_token_loss(model: nn.Module, batch: tuple[torch.Tensor, ...], gen: torch.Generator) -> torch.Tensor:
    """Mean cross-entropy of predicting each next token of the documents ``batch[0]`` (N, L+1)."""
    b = batch[0]
    return F.cross_entropy(model(b[:, :-1]).flatten(0, 1), b[:, 1:].flatten())


def pretrain(model: nn.Module, cfg: dict | None = None, device=None, seed: int = 0,
             log_every: int = 100) -> dict:
    """Next-token pre-training on GINC documents by ``core.fit`` (AdamW, cosine, a step budget).
    Returns metrics: final training loss, held-out loss, the Bayes loss on the same held-out
    documents, and the accuracy on :func:`check_prompts`."""
    c = cfg or KNOBS["quick"]
    dev = device or torch.device("cpu")
    g = mixture()
    docs, _ = ginc.sample_documents(g, c["n_docs"], c["ctx"] + 1, seed=DOC_SEED)
    held, _ = ginc.sample_documents(g, 64, c["ctx"] + 1, seed=DOC_SEED + 100)
    docs = torch.as_tensor(docs, device=dev)
    torch.manual_seed(seed)
    model.to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=c["lr"], weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / 100) * 0.5 * (1 + math.cos(math.pi * s / c["steps"])))
    gen = torch.Generator(device="cpu").manual_seed(seed)
    t0, losses = time.perf_counter(), []

    def draws():  # the step budget: c["steps"] batches of documents drawn with replacement
        return (torch.randint(0, len(docs), (c["batch"],), generator=gen) for _ in range(c["steps"]))

    def record(step: int, loss: float) -> None:
        losses.append(loss)
        if log_every and step % log_every == 0:
            print(f"step {step}/{c['steps']} loss {np.mean(losses[-log_every:]):.3f} "
                  f"({time.perf_counter() - t0:.0f} s)", flush=True)
    fit(model, (docs,), next_token_loss, opt, 1, c["batch"], gen, sched, batches=draws, clip_norm=1.0,
        on_step=record)
    model.eval()
    with torch.no_grad():
        held_loss = next_token_loss(model, (torch.as_tensor(held, device=dev),), gen).item()
    x, y = check_prompts()
    return {"train_loss": float(np.mean(losses[-100:])), "heldout_loss": held_loss,
            "bayes_heldout_loss": bayes_loss(g, held),
            "check_acc": float((predict_next(model, x, dev) == y).mean()),
            "check_prompts": "500 prompts, 8 examples of length 5 (lm.check_prompts)",
            "steps": c["steps"], "batch": c["batch"], "ctx": c["ctx"], "n_docs": c["n_docs"],
            "tokens_seen": c["steps"] * c["batch"] * c["ctx"]}


def bayes_loss(g: ginc.GINC, docs: np.ndarray) -> float:
    """Cross-entropy (nats/token) of the exact Bayes predictor on documents (N, L+1) — the
    floor any pre-trained model can reach."""
    T = torch.as_tensor(g.transitions)
    emit = torch.as_tensor(g.emit)
    start = torch.as_tensor(g.start) / g.n_concepts
    x = torch.as_tensor(docs)
    N, L = x.shape
    lik = lambda t: (emit[None, None, :] == x[:, t, None, None]).to(T.dtype)
    alpha = start.expand(N, *T.shape[:2]) * lik(0)
    alpha = alpha / alpha.sum((1, 2), keepdim=True)
    nll = 0.0
    for t in range(1, L):
        p = ginc.next_token_probs(alpha, T, emit, g.vocab)[torch.arange(N), x[:, t]]
        nll -= torch.log(p).sum().item()
        alpha = ginc.forward_step(alpha, T, lik(t))
    return nll / (N * (L - 1))


@zoo.register("ginc_transformer", build=build_transformer)
def train_ginc_transformer(model: TinyGPT) -> dict:
    """Tiny GPT (3 layers, width 64) pre-trained on GINC documents (notebook 14)."""
    torch.set_num_threads(1)
    return pretrain(model)


@zoo.register("ginc_lstm", build=build_lstm)
def train_ginc_lstm(model: LSTMLM) -> dict:
    """2-layer LSTM (width 128) pre-trained on GINC documents (notebook 14)."""
    torch.set_num_threads(1)
    return pretrain(model)


# ----------------------------------------------------------------------------- in-context evaluation
# A predictor maps (tokens (N, L), n examples, example length k) to predicted tokens (N,).
def bayes_predictor(g: ginc.GINC, device=None):
    """The Bayes-optimal predictor of the pre-training mixture (reads the prompt as a document)."""
    return lambda tokens, n, k: ginc.bayes_predict(g, tokens, device=device).argmax(1)


def ideal_reader(g: ginc.GINC, device=None):
    """The Bayes-optimal predictor of the prompt distribution (knows the prompt format)."""
    return lambda tokens, n, k: ginc.prompt_bayes_predict(g, tokens, n, k, device=device).argmax(1)


def model_predictor(model: nn.Module, device=None):
    """A language model's most likely next token."""
    return lambda tokens, n, k: predict_next(model, tokens, device)


def icl_correct(predict, g: ginc.GINC, ps: ginc.PromptSet, ns: list[int], ks: list[int],
                device=None) -> dict[tuple[int, int], np.ndarray]:
    """Per-item correctness (0/1, shape (N,)) for every cell (n examples, example length k);
    the items are the same in every cell, so cells compare pairwise."""
    out = {}
    for k in ks:
        y = ginc.labels(g, ps, k, device=device)
        for n in ns:
            out[(n, k)] = (predict(ginc.prompt_tokens(g, ps, n, k), n, k) == y).astype(float)
    return out


def random_orders(n_items: int, n: int, n_orders: int, seed: int = 0) -> np.ndarray:
    """(n_orders, n_items, n) example orders; the first is the order as drawn."""
    rng = np.random.default_rng(seed)
    orders = np.stack([rng.permuted(np.tile(np.arange(n), (n_items, 1)), axis=1)
                       for _ in range(n_orders)])
    orders[0] = np.arange(n)
    return orders


def order_predictions(predict, g: ginc.GINC, ps: ginc.PromptSet, n: int, k: int,
                      orders: np.ndarray) -> np.ndarray:
    """(n_orders, N) predictions for the same prompts with their examples permuted."""
    return np.stack([predict(ginc.prompt_tokens(g, ps, n, k, order=o), n, k) for o in orders])
