"""Unit tests of the loss weights beyond the paper's, against independent formulas (the cross-engine
replay in test/torch/twin.test.ts checks the same terms against the engine's logged losses):
  - clsFake adds λ·BCE(cls(G(x, 1 − c)), c) to the critic's loss, and d_cls stays the reals' BCE;
  - idtMask leaves the identity term's value alone and scales only the mask's share of its gradient;
  - a weights key, model option or config field the twin does not implement is refused, naming it,
    and so is a run with DiffAugment (augment) — never trained or replayed without it.
Run: cd python && /usr/bin/python3 -m unittest discover -s tests"""
import math
import os
import tempfile
import unittest

import torch
import torch.nn.functional as F

from sagan_torch.losses import PAPER_WEIGHTS, d_loss, g_loss, identity_term
from sagan_torch.model import build
from sagan_torch.trainer import Trainer

MODEL = {"size": 16, "width": 2, "nRes": 0, "attention": True}
CONFIG = {"attribute": "Eyeglasses", "data": "none", "model": MODEL, "batchSize": 2, "steps": 3, "nCritic": 1,
          "lrG": 1e-3, "lrD": 2e-3, "betas": [0.5, 0.999], "decayFrom": math.inf, "seed": 3, "dWarmup": 0}


def nets(seed=0):
    """G and D in float64, so sums of terms compare with the terms to ~1e-12."""
    torch.manual_seed(seed)
    G, D = build(MODEL)
    for p in D.parameters():  # D's init has zero biases and tiny weights: perturb so every term is non-trivial
        torch.nn.init.normal_(p, 0, 0.3)
    return G.double(), D.double()


def data(n=2):
    return torch.rand(n, 3, 16, 16, dtype=torch.float64) * 2 - 1, torch.tensor([1.0, 0.0, 1.0][:n], dtype=torch.float64)


class ClsFakeTest(unittest.TestCase):
    def test_the_edits_bce_is_added_with_its_weight(self):
        G, D = nets()
        (x, c), eps = data(3), torch.tensor([0.2, 0.5, 0.9], dtype=torch.float64)
        w = {**PAPER_WEIGHTS, "cls": 0.7, "clsFake": 0.4}
        base, parts0 = d_loss(G, D, x, c, eps, {**PAPER_WEIGHTS, "cls": 0.7})
        with_fake, parts = d_loss(G, D, x, c, eps, w)
        with torch.no_grad():
            fake, _ = G(x, 1 - c)
        want = F.binary_cross_entropy_with_logits(D(fake)[1], c)  # the edit keeps its source label c
        self.assertGreater(want.item(), 0.1)
        torch.testing.assert_close(with_fake - base, 0.4 * want, rtol=1e-9, atol=1e-12)
        torch.testing.assert_close(parts["d_cls"], F.binary_cross_entropy_with_logits(D(x)[1], c), rtol=1e-12, atol=0)
        torch.testing.assert_close(parts["d_cls"], parts0["d_cls"])
        # and its gradient reaches D's class head
        gw = torch.autograd.grad(with_fake, D.cls.weight)[0] - torch.autograd.grad(base, D.cls.weight)[0]
        want_g = torch.autograd.grad(0.4 * F.binary_cross_entropy_with_logits(D(fake)[1], c), D.cls.weight)[0]
        torch.testing.assert_close(gw, want_g, rtol=1e-9, atol=1e-12)


class IdtMaskTest(unittest.TestCase):
    def grads(self, G, x, c, s):
        image, mask, edit = G.parts(x, c)
        idt = identity_term(image, mask, edit, x, s)
        # s = 0: the SAN is not in the term's graph at all (allow_unused; its gradient is 0).
        san = torch.autograd.grad(idt, list(G.san.parameters()), retain_graph=True, allow_unused=True)
        san = [torch.zeros_like(p) if g is None else g for p, g in zip(G.san.parameters(), san)]
        amn = torch.autograd.grad(idt, list(G.amn.parameters()))
        return idt.detach(), san, amn

    def test_the_value_is_the_l1_and_only_the_masks_gradient_scales(self):
        G, _ = nets()
        x, c = data()
        v1, san1, amn1 = self.grads(G, x, c, 1.0)
        torch.testing.assert_close(v1, (G(x, c)[0] - x).abs().mean())
        for s in (0.0, 0.3):
            v, san, amn = self.grads(G, x, c, s)
            torch.testing.assert_close(v, v1, rtol=1e-12, atol=0)
            for a, b in zip(san, san1):  # d/dθ_SAN = s · (the paper's), since the SAN reaches the term through b only
                torch.testing.assert_close(a, s * b, rtol=1e-9, atol=1e-15)
            for a, b in zip(amn, amn1):
                torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-15)
        self.assertGreater(max(g.abs().max().item() for g in san1), 1e-6)  # not vacuous

    def test_g_loss_uses_it_and_without_attention_it_is_moot(self):
        G, D = nets()
        x, c = data()
        l1, _ = g_loss(G, D, x, c)
        l0, _ = g_loss(G, D, x, c, {**PAPER_WEIGHTS, "idtMask": 0.0})
        torch.testing.assert_close(l0, l1)
        g1 = torch.autograd.grad(l1, G.san.main[0].weight)[0]
        g0 = torch.autograd.grad(l0, G.san.main[0].weight)[0]
        self.assertGreater((g1 - g0).abs().max().item(), 1e-6)
        torch.manual_seed(0)
        Gn = build({**MODEL, "attention": False})[0].double()
        ln, parts = g_loss(Gn, D, x, c, {**PAPER_WEIGHTS, "idtMask": 0.0})
        self.assertTrue(math.isnan(parts["mask_mean"].item()))
        torch.testing.assert_close(parts["idt"], (Gn(x, c)[0] - x).abs().mean())


class RefusalTest(unittest.TestCase):
    def test_an_unknown_weight_is_refused_by_name(self):
        with self.assertRaisesRegex(ValueError, "loss weight 'clsReal' is not implemented"):
            Trainer({**CONFIG, "weights": {**PAPER_WEIGHTS, "clsReal": 1.0}})
        G, D = nets()
        x, c = data()
        with self.assertRaisesRegex(ValueError, "'gpOne'"):
            d_loss(G, D, x, c, torch.rand(2, dtype=torch.float64), {**PAPER_WEIGHTS, "gpOne": 1.0})
        with self.assertRaisesRegex(ValueError, "'idtMaskD'"):
            g_loss(G, D, x, c, {**PAPER_WEIGHTS, "idtMaskD": 1.0})
        with self.assertRaisesRegex(ValueError, "'idt' is missing"):
            Trainer({**CONFIG, "weights": {"gp": 10, "cls": 1, "rec": 20}})

    def test_an_unknown_model_option_or_field_and_diffaugment_are_refused(self):
        with self.assertRaisesRegex(ValueError, "'skip' is not implemented"):
            Trainer({**CONFIG, "model": {**MODEL, "skip": True}})
        with self.assertRaisesRegex(ValueError, "'mixup' is not known"):
            Trainer({**CONFIG, "mixup": 0.5})
        with self.assertRaisesRegex(ValueError, "DiffAugment"):
            Trainer({**CONFIG, "augment": ["translation"]})
        Trainer({**CONFIG, "augment": []})  # empty: the paper's, fine

    def test_resuming_a_checkpoint_the_twin_cannot_train_is_refused(self):
        from sagan_torch import checkpoint as ckpt
        t = Trainer(CONFIG)
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "c.safetensors")
            ckpt.save(p, t.G, t.D, t.optG, t.optD, 0, {**CONFIG, "augment": ["cutout"]}, t.rng, 0)
            with self.assertRaisesRegex(ValueError, "DiffAugment.*twin lacks"):
                Trainer(CONFIG).resume(p)
            ckpt.save(p, t.G, t.D, t.optG, t.optD, 0, {**CONFIG, "weights": {**PAPER_WEIGHTS, "clsNew": 2}}, t.rng, 0)
            with self.assertRaisesRegex(ValueError, "'clsNew'"):
                Trainer(CONFIG).resume(p)


if __name__ == "__main__":
    unittest.main()
