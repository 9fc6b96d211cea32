"""Robustness-transfer lesson: pretext losses, fine-tuning regimes, pruning, shipped encoders."""

import pytest
import torch
import torch.nn as nn

from tutorial_lib.core import zoo
from tutorial_lib.transfer import matrix as transfer
from tutorial_lib.transfer import pretrain, sparsity


def _tiny_data(n=48, seed=0):
    g = torch.Generator().manual_seed(seed)
    x, y = transfer.transfer_data("train")
    idx = torch.randperm(len(x), generator=g)[:n]
    return x[idx], y[idx]


# ----------------------------------------------------------------------------- pretext tasks
def test_nt_xent_is_minimal_for_identical_views():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(16, 8, generator=g)
    same = pretrain.nt_xent(z, z)
    assert same < pretrain.nt_xent(z, z + 0.5 * torch.randn(16, 8, generator=g))
    assert same < pretrain.nt_xent(z, z[torch.randperm(16, generator=g)])
    with pytest.raises(ValueError, match="same shape"):
        pretrain.nt_xent(z, z[:4])


def test_rotate_batch_labels_and_inverse():
    x = torch.rand(3, 1, 5, 5)
    xr, yr = pretrain.rotate_batch(x)
    assert xr.shape == (12, 1, 5, 5) and yr.tolist() == [0] * 3 + [1] * 3 + [2] * 3 + [3] * 3
    assert torch.equal(torch.rot90(xr[3:6], -1, dims=(2, 3)), x)


@pytest.mark.parametrize("pretext", pretrain.PRETEXTS)
def test_adversarial_pretext_loss_is_finite_and_leaves_train_mode(pretext):
    torch.manual_seed(0)
    enc = pretrain.ConvEncoder()
    head = nn.Linear(64, 4) if pretext == "rotation" else pretrain.projection_head(64)
    model = pretrain.WithHead(enc, head).train()
    x, _ = _tiny_data(8)
    clean = pretrain.pretext_loss(model, x, pretext, eps=0.0, generator=torch.Generator())
    adv = pretrain.pretext_loss(model, x, pretext, eps=0.1, generator=torch.Generator())
    assert torch.isfinite(adv) and model.training and model.encoder.training
    if pretext == "rotation":  # ½(clean + adversarial) >= clean for the same batch
        assert adv.item() >= clean.item() - 1e-4
    with pytest.raises(ValueError, match="Unknown pretext"):
        pretrain.pretext_loss(model, x, "jigsaw")


def test_encoder_sizes_and_full_profile_resnet18():
    from tutorial_lib.core.models import count_parameters

    enc = pretrain.ConvEncoder()
    assert 55_000 <= count_parameters(enc) <= 70_000
    assert enc(torch.rand(2, 1, 16, 16)).shape == (2, 64)
    r18 = pretrain.build_cifar_resnet18()
    assert r18(torch.rand(2, 3, 32, 32)).shape == (2, 512) and r18.feature_dim == 512
    assert 11_000_000 <= count_parameters(r18) <= 11_300_000
    assert transfer.KNOBS["full"]["eps"] == pytest.approx(8 / 255)
    assert (transfer.KNOBS["full"]["train_steps"], transfer.KNOBS["full"]["eval_steps"]) == (10, 20)


# ----------------------------------------------------------------------------- fine-tuning
@pytest.mark.parametrize("regime", ["SLF", "ALF"])
def test_linear_regimes_keep_the_encoder_frozen(regime):
    torch.manual_seed(0)
    enc = pretrain.ConvEncoder()
    before = {k: v.clone() for k, v in enc.state_dict().items()}  # weights AND BN statistics
    model = transfer.finetune(enc, regime, _tiny_data(), epochs=1, batch_size=16,
                              copy_encoder=False)
    for k, v in model.encoder.state_dict().items():
        assert torch.equal(v, before[k]), f"{regime} changed encoder tensor {k}"
    assert not any(p.requires_grad for p in model.encoder.parameters())


def test_full_fine_tuning_changes_the_encoder_and_copies_by_default():
    torch.manual_seed(0)
    enc = pretrain.ConvEncoder()
    w0 = enc.features[0].weight.clone()
    model = transfer.finetune(enc, "SFF", _tiny_data(), epochs=1, batch_size=16)
    assert torch.equal(enc.features[0].weight, w0)  # the pre-trained encoder is untouched
    assert not torch.equal(model.encoder.features[0].weight, w0)
    with pytest.raises(ValueError, match="Unknown regime"):
        transfer.finetune(enc, "XFF", _tiny_data(), epochs=1)


def test_evaluate_robust_accuracy_below_clean():
    torch.manual_seed(0)
    x, y = _tiny_data(128)
    model = transfer.finetune(pretrain.ConvEncoder(), "SFF", (x, y), epochs=8, batch_size=16,
                              lr=3e-3)
    score = transfer.clean_and_robust_accuracy(model, x, y, eps=0.1, steps=5)
    assert 0.0 <= score["RA"] <= score["SA"] <= 1.0
    # a clean-trained CNN is not robust at eps = 0.1
    assert score["SA"] > 0.5 and score["SA"] - score["RA"] > 0.2


def test_unknown_encoder_name_and_full_profile_offline():
    with pytest.raises(KeyError, match="Unknown pre-training"):
        transfer.encoder_name("jigsaw")
    assert transfer.encoder_name("rotation_adv", "full").startswith("transfer_cifar10_r18")
    with pytest.raises(FileNotFoundError, match="scripts/train.py transfer_results"):
        transfer.load_results("matrix", profile="full")
    with pytest.raises(ValueError, match="kind"):
        transfer.results_file("lottery")


# ----------------------------------------------------------------------------- sparsity
@pytest.mark.parametrize("s", [0.0, 0.5, 0.8, 0.93])
def test_pruning_reaches_the_sparsity_exactly_and_rewinds(s):
    torch.manual_seed(0)
    pre = pretrain.ConvEncoder()
    tuned = pretrain.ConvEncoder()  # a different set of weights to rank by
    pruned = sparsity.prune_with_rewinding(pre, s, scores_from=tuned)
    total = sum(m.weight.numel() for m, _ in sparsity.prunable_weights(pre))
    zeros = sum((m.weight == 0).sum().item() for m, _ in sparsity.prunable_weights(pruned))
    assert zeros == round(s * total)
    assert sparsity.sparsity_of(pruned) == pytest.approx(round(s * total) / total)
    conv = pruned.features[0]
    kept = conv.weight_mask.bool()
    assert torch.equal(conv.weight[kept], pre.features[0].weight[kept])  # rewound
    # the masks are global: ranked on tuned's magnitudes pooled over layers
    scores = torch.cat([m.weight.detach().abs().flatten()
                        for m, _ in sparsity.prunable_weights(tuned)])
    masks = torch.cat([m.weight_mask.flatten() for m, _ in sparsity.prunable_weights(pruned)])
    if 0 < s:
        assert scores[masks == 0].max() <= scores[masks == 1].min()


def test_pruned_encoder_stays_exactly_sparse_under_fine_tuning():
    torch.manual_seed(0)
    pruned = sparsity.prune_with_rewinding(pretrain.ConvEncoder(), 0.6)
    model = transfer.finetune(pruned, "AFF", _tiny_data(32), epochs=1, batch_size=16,
                              attack_steps=1)  # copies the pruned encoder, masks included
    assert sparsity.sparsity_of(pruned) == pytest.approx(0.6, abs=1e-4)
    assert not torch.equal(model.encoder.features[3].weight_orig, pruned.features[3].weight_orig)
    assert sparsity.sparsity_of(model.encoder) == pytest.approx(sparsity.sparsity_of(pruned))
    plain = sparsity.make_permanent(model.encoder)
    assert not any(k.endswith("_mask") for k in plain.state_dict())


def test_bad_sparsity_is_refused():
    with pytest.raises(ValueError, match="sparsity"):
        sparsity.magnitude_masks(pretrain.ConvEncoder(), 1.0)
    with pytest.raises(ValueError, match="no Conv2d"):
        sparsity.magnitude_masks(nn.ReLU(), 0.5)


# ----------------------------------------------------------------------------- shipped encoders
@pytest.mark.parametrize("which", list(transfer.PRETRAININGS))
def test_shipped_encoder_reproduces_its_recorded_linear_probe(which):
    enc = transfer.load_encoder(which)
    recorded = zoo.metrics(transfer.encoder_name(which))["val_SLF"]
    k = transfer.knobs()
    probe = transfer.finetune(enc, "SLF", transfer.transfer_data("train"),
                              epochs=k["finetune_epochs"], batch_size=k["batch_size"])
    score = transfer.clean_and_robust_accuracy(probe, *transfer.transfer_data("val"), eps=k["eps"],
                              steps=k["eval_steps"])
    assert score["SA"] == pytest.approx(recorded["SA"], abs=0.03)
    assert score["RA"] == pytest.approx(recorded["RA"], abs=0.03)


def test_lesson_safe_assertions_on_linear_probes():
    """Lesson spec §04: standard-rotation SLF RA <= 2 %; adversarial-contrastive SLF RA >=
    standard SLF RA + 15 points (test split, fixed seed)."""
    k = transfer.knobs()
    train, test = transfer.transfer_data("train"), transfer.transfer_data("test")
    ra = {}
    for which in ("rotation_std", "contrastive_adv"):
        probe = transfer.finetune(transfer.load_encoder(which), "SLF", train,
                                  epochs=k["finetune_epochs"], batch_size=k["batch_size"])
        ra[which] = transfer.clean_and_robust_accuracy(probe, *test, eps=k["eps"], steps=k["eval_steps"])["RA"]
    assert ra["rotation_std"] <= 0.02
    assert ra["contrastive_adv"] >= ra["rotation_std"] + 0.15
