"""A small seq2seq function-name predictor with attention and a copy (pointer-generator) mechanism.

Encoder: subtoken embedding + learned positions -> pre-LN transformer encoder. Decoder: a GRU cell
fed with the previous subtoken and the previous attention context; at each step it mixes a
distribution over the vocabulary with a copy distribution over the input positions (See et al.,
2017), so it can emit identifier subtokens that are rare or absent from the vocabulary.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from tutorial_lib.core.config import get_profile, pick_knobs

from .dataset import (
    BOS,
    EOS,
    PAD,
    UNK,
    Vocab,
    load_vocab,
)

# Lesson knobs per profile (model size, input window, training budget).
MODEL_CONFIGS = {
    "quick": {"d": 128, "layers": 2, "heads": 4, "ff": 512, "max_len": 128, "max_tgt": 5},
    "full": {"d": 256, "layers": 4, "heads": 8, "ff": 1024, "max_len": 320, "max_tgt": 5},
    "smoke": {"d": 32, "layers": 1, "heads": 2, "ff": 64},  # FRFM_SMOKE=1: code paths only
}


class NamePredictor(nn.Module):
    """Transformer encoder + GRU decoder with attention and copy over the input subtokens."""

    def __init__(self, vocab_size: int, d: int = 128, layers: int = 2, heads: int = 4, ff: int = 512,
                 max_len: int = 128, max_tgt: int = 5, dropout: float = 0.1, copy: bool = True) -> None:
        super().__init__()
        self.vocab_size, self.d, self.max_len, self.max_tgt = vocab_size, d, max_len, max_tgt
        self.copy = copy  # False: the no-copy ablation (every subtoken generated from the vocabulary)
        self.emb = nn.Embedding(vocab_size, d, padding_idx=PAD)
        self.pos = nn.Embedding(max_len, d)
        layer = nn.TransformerEncoderLayer(d, heads, ff, dropout, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.enc_norm = nn.LayerNorm(d)
        self.init_h = nn.Linear(d, d)
        self.gru = nn.GRUCell(2 * d, d)
        self.query = nn.Linear(d, d, bias=False)
        self.out = nn.Linear(2 * d, d)
        self.out_bias = nn.Parameter(torch.zeros(vocab_size))
        self.gate = nn.Linear(3 * d, 1)
        nn.init.normal_(self.emb.weight, std=d ** -0.5)

    def encode(self, src: torch.Tensor, embeds: torch.Tensor | None = None):
        """Encoder states (B, L, d) and the padding mask; ``embeds`` replaces the token
        embeddings (attacks differentiate through it)."""
        x = self.emb(src) if embeds is None else embeds
        x = x + self.pos(torch.arange(src.shape[1], device=src.device))
        mask = src == PAD
        return self.enc_norm(self.encoder(x, src_key_padding_mask=mask)), mask

    def start(self, enc: torch.Tensor, mask: torch.Tensor):
        keep = (~mask).unsqueeze(-1).float()
        mean = (enc * keep).sum(1) / keep.sum(1).clamp(min=1)
        return torch.tanh(self.init_h(mean)), torch.zeros_like(mean)

    def step(self, prev: torch.Tensor, h: torch.Tensor, ctx: torch.Tensor, enc: torch.Tensor,
             mask: torch.Tensor, src_ext: torch.Tensor, n_ext: int):
        """One decoding step -> (probabilities over vocab + per-batch OOV slots, h, ctx, attn)."""
        e = self.emb(torch.where(prev >= self.vocab_size, torch.full_like(prev, UNK), prev))
        h = self.gru(torch.cat([e, ctx], -1), h)
        scores = torch.einsum("bld,bd->bl", enc, self.query(h)) / math.sqrt(self.d)
        attn = scores.masked_fill(mask, float("-inf")).softmax(-1)
        ctx = torch.einsum("bl,bld->bd", attn, enc)
        o = torch.tanh(self.out(torch.cat([h, ctx], -1)))
        logits = o @ self.emb.weight.t() + self.out_bias
        logits[:, PAD] = float("-inf")
        logits[:, BOS] = float("-inf")
        p_gen = torch.sigmoid(self.gate(torch.cat([h, ctx, e], -1))) if self.copy else h.new_ones(h.shape[0], 1)
        dist = torch.cat([p_gen * logits.softmax(-1), h.new_zeros(h.shape[0], n_ext)], -1)
        dist = dist.scatter_add(1, src_ext, (1 - p_gen) * attn)
        return dist, h, ctx, attn

    def loss(self, batch: dict, embeds: torch.Tensor | None = None, per_example: bool = False):
        """Teacher-forced negative log-likelihood of the target subtokens (+ EOS)."""
        enc, mask = self.encode(batch["src"], embeds)
        h, ctx = self.start(enc, mask)
        tgt = batch["tgt"]
        prev = torch.full_like(tgt[:, 0], BOS)
        nll = []
        for t in range(tgt.shape[1]):
            dist, h, ctx, _ = self.step(prev, h, ctx, enc, mask, batch["src_ext"], batch["n_ext"])
            nll.append(-torch.log(dist.gather(1, tgt[:, t:t + 1]).squeeze(1) + 1e-9))
            prev = tgt[:, t]
        nll = torch.stack(nll, 1) * (tgt != PAD).float()
        per = nll.sum(1)
        if per_example:
            return per
        return per.sum() / (tgt != PAD).sum().clamp(min=1)

    @torch.no_grad()
    def generate(self, batch: dict, name_mask: torch.Tensor) -> list[list[int]]:
        """Greedy decoding; ``name_mask`` (V,) marks vocabulary ids allowed in a name."""
        enc, mask = self.encode(batch["src"])
        h, ctx = self.start(enc, mask)
        B = enc.shape[0]
        prev = torch.full((B,), BOS, dtype=torch.long, device=enc.device)
        allowed = torch.cat([name_mask.to(enc.device), name_mask.new_ones(batch["n_ext"])])
        out = torch.full((B, self.max_tgt), PAD, dtype=torch.long, device=enc.device)
        done = torch.zeros(B, dtype=torch.bool, device=enc.device)
        for t in range(self.max_tgt + 1):
            dist, h, ctx, _ = self.step(prev, h, ctx, enc, mask, batch["src_ext"], batch["n_ext"])
            dist = dist.masked_fill(~allowed, 0)
            if t == self.max_tgt:
                break
            if t == 0:
                dist[:, EOS] = 0  # at least one subtoken
            prev = dist.argmax(-1)
            done |= prev == EOS
            out[:, t] = torch.where(done, torch.full_like(prev, PAD), prev)
        return [[int(i) for i in row if i != PAD] for row in out]


def build_model(vocab_size: int | None = None, profile: str | None = None, copy: bool = True) -> NamePredictor:
    """A NamePredictor sized for the profile (``MODEL_CONFIGS``)."""
    cfg = pick_knobs(MODEL_CONFIGS, profile)
    return NamePredictor(vocab_size or len(load_vocab()), **cfg, copy=copy)


def name_mask(vocab: Vocab) -> torch.Tensor:
    """Vocabulary ids a predicted name may contain (alphanumeric subtokens and EOS)."""
    m = torch.tensor([t.isalnum() for t in vocab.itos])
    m[EOS] = True
    m[UNK] = False
    return m


def make_batch(token_lists: Sequence[Sequence[str]], targets: Sequence[Sequence[str]] | None,
               vocab: Vocab, max_len: int, max_tgt: int = 5,
               device: torch.device | str = "cpu") -> dict:
    """Tensors for a batch: ``src`` (B, L) vocab ids, ``src_ext`` (ids with per-example OOV slots
    for copying), ``tgt`` (B, T) extended target ids + EOS, the OOV lists and ``n_ext``."""
    V = len(vocab)
    toks = [list(t[:max_len]) or ["<unk>"] for t in token_lists]
    L = max(len(t) for t in toks)
    src, src_ext, oovs = [], [], []
    for tt in toks:  # rows built as Python lists, one tensor per field (no per-element writes)
        ids = [vocab.id(tok) for tok in tt]
        oov = list(dict.fromkeys(t for t, k in zip(tt, ids) if k == UNK and t.isalnum()))
        ext = [V + oov.index(t) if k == UNK and t.isalnum() else k for t, k in zip(tt, ids)]
        pad = [PAD] * (L - len(tt))
        src.append(ids + pad)
        src_ext.append(ext + pad)
        oovs.append(oov)
    n_ext = max(1, max(len(o) for o in oovs))
    batch = {"src": torch.tensor(src, device=device), "src_ext": torch.tensor(src_ext, device=device),
             "oovs": oovs, "n_ext": n_ext}
    if targets is not None:
        tgt = []
        for tt, oov in zip(targets, oovs):
            ids = [V + oov.index(s) if (k := vocab.id(s)) == UNK and s in oov else k
                   for s in list(tt)[:max_tgt]] + [EOS]
            tgt.append(ids + [PAD] * (max_tgt + 1 - len(ids)))
        batch["tgt"] = torch.tensor(tgt, device=device)
    return batch


def decode_ids(ids: Sequence[int], oov: Sequence[str], vocab: Vocab) -> list[str]:
    V = len(vocab)
    out = []
    for i in ids:
        if i == EOS:
            break
        out.append(vocab.itos[i] if i < V else oov[i - V])
    return out


def predict_tokens(model: NamePredictor, token_lists: Sequence[Sequence[str]], vocab: Vocab,
                   batch_size: int = 256) -> list[list[str]]:
    """Predicted name subtokens for already-tokenized inputs (batched, no grad)."""
    model.eval()
    dev = next(model.parameters()).device
    mask = name_mask(vocab)
    preds: list[list[str]] = []
    for i in range(0, len(token_lists), batch_size):
        b = make_batch(token_lists[i:i + batch_size], None, vocab, model.max_len, model.max_tgt, dev)
        for ids, oov in zip(model.generate(b, mask), b["oovs"]):
            preds.append(decode_ids(ids, oov, vocab))
    return preds


@torch.no_grad()
def mean_loss(model: NamePredictor, token_lists, targets, vocab: Vocab, batch_size: int = 256) -> float:
    """Mean per-subtoken NLL of the true names (model in eval mode)."""
    model.eval()
    dev = next(model.parameters()).device
    tot, n = 0.0, 0
    for i in range(0, len(token_lists), batch_size):
        b = make_batch(token_lists[i:i + batch_size], targets[i:i + batch_size], vocab,
                       model.max_len, model.max_tgt, dev)
        tot += float(model.loss(b, per_example=True).sum())
        n += int((b["tgt"] != PAD).sum())
    return tot / max(n, 1)


# ----------------------------------------------------------------------------- shipped models
STANDARD, ROBUST = "code_names", "code_names_adv"


def checkpoint_name(name: str, profile: str | None = None) -> str:
    """``code_names`` / ``code_names_adv`` in the quick profile, ``..._full`` in the full one."""
    if name not in (STANDARD, ROBUST):
        raise ValueError(f"Unknown code model {name!r}; use {STANDARD!r} or {ROBUST!r}.")
    return name if get_profile(profile).name == "quick" else f"{name}_full"


def base_name(ckpt: str) -> str:
    return ckpt.removesuffix("_full")
