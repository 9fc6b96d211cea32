"""The miniature CLIP and FLYP (tutorial_lib.foundation.flyp)."""

import math

import pytest
import torch
import torch.nn.functional as F

from tutorial_lib.core import data, zoo
from tutorial_lib.foundation import flyp, flyp_solutions


def test_infonce_hand_computed():
    img = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    txt = torch.tensor([[1.0, 0.0], [0.6, 0.8]])
    # logits (scale 1) = [[1, .6], [0, .8]]; rows: image -> caption, columns: caption -> image
    i2t = (math.log(math.e ** 1 + math.e ** 0.6) - 1 + math.log(1 + math.e ** 0.8) - 0.8) / 2
    t2i = (math.log(math.e ** 1 + 1) - 1 + math.log(math.e ** 0.6 + math.e ** 0.8) - 0.8) / 2
    got = flyp.infonce(img, txt, 0.0)
    assert float(got) == pytest.approx((i2t + t2i) / 2, abs=1e-6)
    assert float(flyp_solutions.symmetric_infonce(img, txt, 1.0)) == pytest.approx(float(got), abs=1e-6)


def test_infonce_symmetric_and_temperature():
    g = torch.Generator().manual_seed(0)
    a = F.normalize(torch.randn(6, 8, generator=g), dim=1)
    b = F.normalize(torch.randn(6, 8, generator=g), dim=1)
    assert float(flyp.infonce(a, b, 1.0)) == pytest.approx(float(flyp.infonce(b, a, 1.0)), abs=1e-6)
    # matched pairs: a sharper temperature lowers the loss towards 0
    assert float(flyp.infonce(a, a, math.log(100))) < float(flyp.infonce(a, a, 0.0))
    assert float(flyp.infonce(a, a, math.log(100))) < 1e-3
    with pytest.raises(ValueError, match="same shape"):
        flyp.infonce(a, b[:5], 1.0)


def test_zero_shot_predicts_by_cosine_to_prompts():
    model = flyp.build()
    prompts = ["digit zero", "digit one", "digit two"]
    protos = F.normalize(torch.randn(3, flyp.EMBED, generator=torch.Generator().manual_seed(1)), dim=1)
    labels = torch.tensor([2, 0, 1, 1, 2, 0])
    g = torch.Generator().manual_seed(2)
    # image embeddings: the planted prompt's direction, scaled (cosine ignores norms), plus noise
    planted = protos[labels] * torch.tensor([[5.0], [0.2], [1.0], [30.0], [0.5], [2.0]])
    planted = planted + 0.02 * torch.randn(planted.shape, generator=g)
    model.encode_text = lambda texts: protos[[prompts.index(t) for t in texts]]
    model.encode_image = lambda x: F.normalize(planted[: len(x)], dim=1)
    pred = flyp.predict(model, torch.zeros(6, 1, 32, 32), prompts)
    assert pred.tolist() == labels.tolist()


def test_trigrams_share_spelling_and_reject_empty():
    a, b = set(flyp.trigram_ids("digit seven")), set(flyp.trigram_ids("latin small letter seven"))
    assert a & b  # "seven" contributes the same trigrams in any caption
    with pytest.raises(ValueError, match="empty"):
        flyp.trigram_ids("   ")


def test_few_contrastive_steps_lower_the_loss():
    torch.manual_seed(0)
    x, y = data.load_digits_tensors("train")
    idx = torch.stack([torch.nonzero(y == c)[0, 0] for c in range(10)])
    model = flyp.build()
    texts = [flyp.DIGIT_PROMPTS[c] for c in y[idx].tolist()]
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3)
    model.eval()
    with torch.no_grad():
        before = float(flyp.infonce(model.encode_image(x[idx]), model.encode_text(texts), model.log_scale))
    for _ in range(25):
        flyp.clip_step(model, x[idx], texts, opt)
    model.eval()
    with torch.no_grad():
        after = float(flyp.infonce(model.encode_image(x[idx]), model.encode_text(texts), model.log_scale))
    assert after < 0.5 * before


def test_zoo_entry_loads_and_retrieves_glyph_names():
    from tutorial_lib.foundation import glyphs

    model = zoo.load("flyp_miniclip")
    assert isinstance(model, flyp.MiniCLIP)
    assert sum(p.numel() for p in model.parameters()) * 4 < 2e6
    val = glyphs.render_corpus("broad", 300, seed=4242)  # renderings the training never drew
    acc = float((flyp.predict(model, val.x, val.names) == val.y).float().mean())
    assert acc > 10 / len(val.chars)  # ten times chance over the 1,000 names
