"""Attention probes: softmax weights from timm, known distances, rollout, clear errors."""

import math

import pytest
import torch

from tutorial_lib.attribution import attention
from tutorial_lib.core.models import build_cnn_digits, build_vit_digits


@pytest.fixture(scope="module")
def vit():
    torch.manual_seed(0)
    return build_vit_digits().eval()


def test_weights_are_a_softmax_and_do_not_change_the_output(vit):
    x = torch.rand(2, 1, 32, 32)
    with torch.no_grad():
        for blk in vit.net.blocks:
            blk.attn.fused_attn = True
        fused = vit(x)
    w = attention.attention_weights(vit, x)
    assert w.shape == (6, 2, 3, 65, 65)
    assert torch.allclose(w.sum(-1), torch.ones(6, 2, 3, 65), atol=1e-5)
    assert all(not blk.attn.fused_attn for blk in vit.net.blocks)
    with torch.no_grad():
        assert torch.allclose(vit(x), fused, atol=1e-4)


def test_distance_of_hand_built_attention():
    uniform = torch.full((1, 4, 4), 0.25)  # 2 x 2 grid, 1-px patches, no class token
    d = attention.distance_from_weights(uniform, 2, 2, 1, num_prefix=0)
    assert d.item() == pytest.approx((2 + math.sqrt(2)) / 4)
    assert attention.distance_from_weights(torch.eye(4)[None], 2, 2, 1, 0).item() == 0
    far = torch.zeros(4, 4)  # each patch attends only to the opposite corner
    far[0, 3] = far[3, 0] = far[1, 2] = far[2, 1] = 1
    assert attention.distance_from_weights(far, 2, 2, 5, 0).item() == pytest.approx(5 * math.sqrt(2))
    cls = torch.zeros(5, 5)  # class-token column is ignored, rows renormalised over patches
    cls[:, 0] = 0.5
    cls[1:, 1:] = 0.125
    assert attention.distance_from_weights(cls, 2, 2, 1, 1).item() == pytest.approx(
        (2 + math.sqrt(2)) / 4)


def test_mean_attention_distance_range_and_uniform_value(vit):
    x = torch.rand(3, 1, 32, 32)
    mad = attention.mean_attention_distance(vit, x, batch_size=2)
    assert mad.shape == (6, 3)
    assert (mad >= 0).all() and (mad <= 32 * math.sqrt(2)).all()
    assert attention.uniform_attention_distance(vit) == pytest.approx(16.5, abs=0.1)


def test_rollout_and_readout(vit):
    x = torch.rand(2, 1, 32, 32)
    r = attention.rollout_map(vit, x)
    assert r.shape == (2, 8, 8) and torch.allclose(r.sum((1, 2)), torch.ones(2), atol=1e-5)
    w = attention.attention_weights(vit, x)
    ro = attention.attention_rollout(w)
    assert torch.allclose(ro.sum(-1), torch.ones(2, 65), atol=1e-4)
    assert attention.readout_attention(w, vit).shape == (6, 2, 3, 8, 8)


def test_non_vit_models_get_a_clear_error():
    cnn = build_cnn_digits()
    for fn in (attention.attention_weights, attention.mean_attention_distance,
               attention.rollout_map):
        with pytest.raises(ValueError, match="VisionTransformer"):
            fn(cnn, torch.rand(1, 1, 32, 32))


def test_full_profile_shapes_offline():
    """The full profile's ViT-S/16 architecture (no weights download): 14x14 patches + class token."""
    import timm

    from tutorial_lib.attribution import masking
    from tutorial_lib.core.models import ImageClassifier

    torch.manual_seed(0)
    net = timm.create_model("vit_small_patch16_224", pretrained=False, depth=2)
    vit_s = ImageClassifier(net, (0.5,) * 3, (0.5,) * 3, (3, 224, 224), "vit_s_test").eval()
    x = torch.rand(1, 3, 224, 224)
    assert attention.patch_grid(vit_s) == (14, 14, 16)
    assert attention.attention_weights(vit_s, x).shape == (2, 1, 6, 197, 197)
    mad = attention.mean_attention_distance(vit_s, x)
    assert mad.shape == (2, 6) and (mad <= 224 * math.sqrt(2)).all()
    assert attention.rollout_map(vit_s, x).shape == (1, 14, 14)  # class-token read-out
    every = torch.ones(1, 196, dtype=torch.bool)  # a class-token ViT can drop every patch
    assert masking.vit_drop_tokens(vit_s, x, every).shape == (1, 1000)
