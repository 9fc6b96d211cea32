"""The certification ladder: soundness against strong attacks, IBP/CROWN/LP/SDP consistency,
first-order SDP against cvxpy, bad inputs. Small nets trained here on the real 8x8 digit scans."""

import pytest
import torch

from tutorial_lib.certified import bounds, ibp, ladder, sdp


@pytest.fixture(scope="module")
def digits():
    x, y = ladder.digits8("test")
    return x, y


@pytest.fixture(scope="module")
def small_net():
    """64-8-10, normally trained for a few epochs: small enough for cvxpy in seconds."""
    torch.set_num_threads(1)
    net = ladder.build_mlp((8,))
    ladder.train_ladder(net, "normal", {"epochs": 15})
    return net


@pytest.fixture(scope="module")
def deep_net():
    """64-16-16-10, normally trained: exercises the multi-layer backward pass."""
    net = ladder.build_mlp((16, 16))
    ladder.train_ladder(net, "normal", {"epochs": 15})
    return net


def strongest_attack(net, x, y, eps, restarts=20, steps=40):
    """Per-image: does PGD (many random restarts + margin loss on every class) find an error?"""
    broken = torch.zeros(len(x), dtype=torch.bool)
    gen = torch.Generator().manual_seed(0)
    for _ in range(restarts):
        delta = (torch.rand(x.shape, generator=gen) * 2 - 1) * eps
        for _ in range(steps):
            delta.requires_grad_(True)
            out = net((x + delta).clamp(0, 1))
            true = out.gather(1, y[:, None])
            other = out.scatter(1, y[:, None], -1e9).amax(1, keepdim=True)
            (g,) = torch.autograd.grad((other - true).sum(), delta)
            delta = (delta.detach() + eps / 8 * g.sign()).clamp(-eps, eps)
        with torch.no_grad():
            broken |= net((x + delta).clamp(0, 1)).argmax(1) != y
    return broken


@pytest.mark.parametrize("eps", [0.02, 0.05, 0.1])
def test_no_certified_point_is_broken(small_net, deep_net, digits, eps):
    x, y = digits[0][:120], digits[1][:120]
    for net in (small_net, deep_net):
        cert = ibp.certified(bounds.crown_margins(net, x, y, eps)) | \
            ibp.certified(ibp.ibp_margins(net, x, y, eps))
        wrong = strongest_attack(net, x, y, eps)
        assert not (cert & wrong).any(), "a certified point was broken by PGD: a bound is unsound"
    # the check can fail: at the largest eps the attack does break some points
    if eps == 0.1:
        assert wrong.any()


def test_bounds_contain_sampled_outputs(deep_net, digits):
    x, y = digits[0][:20], digits[1][:20]
    eps = 0.05
    lo_ibp, lo_crown = ibp.ibp_margins(deep_net, x, y, eps), bounds.crown_margins(deep_net, x, y, eps)
    gen = torch.Generator().manual_seed(1)
    for _ in range(50):
        xs = (x + (torch.rand(x.shape, generator=gen) * 2 - 1) * eps).clamp(0, 1)
        out = deep_net(xs).detach()
        true = out.gather(1, y[:, None])
        marg = (true - out)[torch.ones_like(out, dtype=torch.bool).scatter(1, y[:, None], False)]
        marg = marg.view(len(x), -1)
        assert (marg >= lo_crown - 1e-5).all() and (marg >= lo_ibp - 1e-5).all()


def test_crown_tighter_than_ibp_and_lp_exact(small_net, digits):
    """CROWN >= IBP; CROWN <= exact LP (scipy); alpha-CROWN reaches the LP on one hidden layer."""
    x, y = digits[0][:4], digits[1][:4]
    eps = 0.05
    lo_ibp = ibp.ibp_margins(small_net, x, y, eps)
    lo_crown = bounds.crown_margins(small_net, x, y, eps)
    lo_alpha = bounds.crown_margins(small_net, x, y, eps, alpha_steps=300, lr=0.05)
    assert (lo_crown >= lo_ibp - 1e-5).all()
    assert (lo_crown > lo_ibp + 1e-3).any(), "CROWN should be strictly tighter somewhere"
    prob = sdp.sdp_problems(small_net, x, y, eps)
    layers = ibp.linear_layers(small_net)
    xl, xu = ibp.input_box(x, eps)
    c, d = ibp.margin_spec(*layers[-1], y)
    pre = bounds.crown_bounds([(w.detach(), b.detach()) for w, b in layers], xl, xu)
    for i in range(len(x)):
        for j in range(0, 9, 3):
            lp = bounds.lp_margin(layers, xl[i].numpy(), xu[i].numpy(),
                                  [(pre[0][0][i], pre[0][1][i])], c[i, j].detach().double().numpy(),
                                  float(d[i, j].detach()))
            assert lo_crown[i, j].item() <= lp + 1e-4
            assert abs(lo_alpha[i, j].item() - lp) <= 1e-3 * max(1.0, abs(lp))
    assert prob["c"].shape[0] == len(x) * 9


def test_first_order_sdp_matches_cvxpy(small_net, digits):
    """Dathathri et al.'s first-order dual reaches the cvxpy SDP value within 1%, never below it."""
    x, y = digits[0][:2], digits[1][:2]
    prob = sdp.sdp_problems(small_net, x, y, 0.05)
    fo, _ = sdp.first_order_sdp(prob, steps=1000, lr=0.02, iters=None)
    for k in (0, 13):
        exact, _ = sdp.sdp_cvxpy(prob, k, solver="CLARABEL")
        assert fo[k].item() >= exact - 1e-3 * max(1.0, abs(exact)), "dual bound below the SDP value"
        assert abs(fo[k].item() - exact) <= 0.01 * max(abs(exact), 1.0)


def test_sdp_sound_and_no_looser_than_what_it_relaxes(small_net, digits):
    """SDP upper bound >= attacked value; the dual bound for any multipliers is >= the SDP."""
    x, y = digits[0][:1], digits[1][:1]
    eps = 0.05
    prob = sdp.sdp_problems(small_net, x, y, eps)
    lam = sdp._init_lambda(prob)
    anywhere = sdp.dual_value(prob, lam)
    for k in (2, 7):
        value, _ = sdp.sdp_cvxpy(prob, k, solver="SCS")
        assert anywhere[k].item() >= value - 1e-3
        out = small_net(x).detach()
        # the clean point is feasible: max(-margin) >= -(clean margin)
        others = [j for j in range(10) if j != y[0]]
        assert value >= (out[0, others[k]] - out[0, y[0]]).item() - 1e-3


def test_grad_sdp_matrix_and_bound(small_net):
    w = torch.tensor([[1.0, -2.0], [0.5, 3.0]])
    v = torch.tensor([2.0, -1.0])
    m = sdp.grad_sdp_matrix(w, v)[0]
    assert torch.allclose(m, m.T)
    assert torch.allclose(m[0, 1:3], w.T @ v)
    # brute force: max over t in {-1,1}^2, s in {0,1}^2 of t^T W^T diag(v) s equals <M, P>/4 at a vertex
    best = max(float(torch.tensor(t) @ w.T @ (v * torch.tensor(s)))
               for t in [(a, b) for a in (-1., 1.) for b in (-1., 1.)]
               for s in [(a, b) for a in (0., 1.) for b in (0., 1.)])
    c = torch.zeros(1, 5, requires_grad=True)
    bound = sdp.grad_sdp_bounds(w, torch.stack([v, torch.zeros(2)]), torch.zeros(2, 5))[0, 1]
    assert bound / 4 >= best - 1e-6
    assert c.shape == (1, 5)


def test_bad_inputs(small_net, digits):
    with pytest.raises(ValueError, match="eps"):
        ibp.input_box(digits[0][:2], -0.1)
    conv = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU())
    with pytest.raises(TypeError, match="Flatten/Linear/ReLU"):
        ibp.linear_layers(conv)
    with pytest.raises(ValueError, match="method"):
        ladder.train_ladder(ladder.build_mlp((4,)), "magic")
    assert set(ladder.knobs("quick")) == set(ladder.knobs("full"))
