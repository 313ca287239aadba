"""Unit tests of the pieces the cross-engine tests do not isolate: the safetensors writer's layout, the
checkpoint round trip (weights, both Adam states, metadata, the average of G's weights) and the ported PRNG.
Run: cd python && /usr/bin/python3 -m unittest discover -s tests"""
import json
import math
import os
import struct
import tempfile
import unittest

import torch

from sagan_torch import checkpoint as ckpt
from sagan_torch.data import Rng, hash_ints, BatchOrder
from sagan_torch.safetensors_io import parse, serialize, SafetensorsError
from sagan_torch.trainer import Trainer

CONFIG = {"attribute": "Eyeglasses", "data": "none", "model": {"size": 16, "width": 2, "nRes": 0, "attention": True},
          "batchSize": 2, "steps": 3, "nCritic": 1, "lrG": 1e-3, "lrD": 2e-3, "betas": [0.5, 0.999], "decayFrom": math.inf,
          "seed": 3, "dWarmup": 0}


class SafetensorsTest(unittest.TestCase):
    def test_layout_matches_the_reference_writer(self):
        b = serialize({"b": torch.ones(2), "a": torch.zeros(1, dtype=torch.float64), "c": torch.tensor(1.5)}, {"k": "v"})
        n, = struct.unpack("<Q", b[:8])
        self.assertEqual(n % 8, 0)
        header = json.loads(b[8:8 + n])
        self.assertEqual(list(header), ["__metadata__", "a", "b", "c"])  # F64 first, then F32 by name
        self.assertEqual(header["c"]["shape"], [])
        t, md = parse(b)
        self.assertEqual(md, {"k": "v"})
        self.assertEqual(t["c"].item(), 1.5)
        self.assertEqual(t["a"].dtype, torch.float64)

    def test_rejects_untiled_data(self):
        b = serialize({"a": torch.ones(2)})
        with self.assertRaises(SafetensorsError):
            parse(b + b"\0\0\0\0")


class CheckpointTest(unittest.TestCase):
    def test_down_stages_follow_the_model_config(self):
        from sagan_torch.model import build
        names = lambda cfg: [n for n, _ in build(cfg)[0].named_parameters()]
        paper, one = names(CONFIG["model"]), names({**CONFIG["model"], "down": 1})
        self.assertEqual((paper[-2], one[-2]), ("san.main.21.weight", "san.main.9.weight"))  # the last conv7, as model.ts
        self.assertEqual(len(one), len(paper) - 4 * 4)  # 2 nets × (2 downs + 2 ups) × (conv w, b) fewer
        with self.assertRaises(ValueError):
            build({**CONFIG["model"], "down": 4})  # 16 / 2**4 = 1 < 2

    def test_residual_amn_keeps_the_names_and_copies_when_f_is_zero(self):
        from sagan_torch.model import build
        G = build({**CONFIG["model"], "residual": True})[0]
        self.assertEqual([n for n, _ in G.named_parameters()], [n for n, _ in build(CONFIG["model"])[0].named_parameters()])
        last = G.amn.main[-1]
        torch.nn.init.zeros_(last.weight)
        torch.nn.init.zeros_(last.bias)
        x = torch.rand(2, 3, 16, 16) * 2 - 1
        self.assertTrue(torch.allclose(G.amn(x, torch.tensor([1.0, 0.0])), 0.99 * x, atol=1e-6))

    def test_zero_init_starts_the_edit_at_zero_and_needs_the_residual_amn(self):
        from sagan_torch.model import build
        x = torch.rand(2, 3, 16, 16) * 2 - 1
        G = build({**CONFIG["model"], "residual": True, "zeroInit": True})[0]
        self.assertTrue(torch.allclose(G.amn(x, torch.tensor([1.0, 0.0])), 0.99 * x, atol=1e-6))
        plain = build({**CONFIG["model"], "residual": True})[0]
        self.assertFalse(torch.allclose(plain.amn(x, torch.tensor([1.0, 0.0])), 0.99 * x, atol=1e-3))
        with self.assertRaisesRegex(ValueError, "zeroInit needs residual"):
            build({**CONFIG["model"], "zeroInit": True})

    def test_conditional_norms_shift_only_where_c_is_1(self):
        from sagan_torch.model import build
        G = build({**CONFIG["model"], "residual": True, "condNorm": True, "down": 1})[0]
        names = [n for n, _ in G.named_parameters() if n.endswith(".delta")]
        self.assertEqual(names, ["amn.main.2.delta", "amn.main.6.delta", "amn.main.10.delta"])  # nRes 0: the up stage follows
        x = torch.rand(2, 3, 16, 16) * 2 - 1
        c = torch.tensor([1.0, 0.0])
        with torch.no_grad():
            before = G.amn(x, c)
            for n, p in G.named_parameters():
                if n.endswith(".delta"):
                    p.copy_(torch.linspace(-0.5, 0.5, p.numel()))
            after = G.amn(x, c)
        self.assertTrue(torch.allclose(before[1], after[1], atol=1e-6))  # c = 0: no shift
        self.assertGreater((before[0] - after[0]).abs().max().item(), 0.01)


    def test_round_trip_restores_weights_adam_and_position(self):
        t = Trainer(CONFIG)
        x, c = torch.rand(2, 3, 16, 16) * 2 - 1, torch.tensor([1.0, 0.0])
        t.iteration([(x, c)], [torch.tensor([0.3, 0.6])])
        t.batches = 7
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "c.safetensors")
            t.save(p)
            u = Trainer({**CONFIG, "seed": 99})  # different initial weights
            u.resume(p)
        self.assertEqual((u.step, u.batches), (1, 7))
        for a, b in zip(t.G.parameters(), u.G.parameters()):
            self.assertTrue(torch.equal(a, b))
        for opt_t, opt_u, mod_t, mod_u in ((t.optD, u.optD, t.D, u.D), (t.optG, u.optG, t.G, u.G)):
            self.assertEqual(opt_u.param_groups[0]["lr"], opt_t.param_groups[0]["lr"])
            for p, q in zip(mod_t.parameters(), mod_u.parameters()):
                self.assertTrue(torch.equal(opt_t.state[p]["exp_avg_sq"], opt_u.state[q]["exp_avg_sq"]))
                self.assertEqual(float(opt_u.state[q]["step"]), 1.0)
        # The next iteration is the same from the original and the resumed trainer.
        a = t.iteration([(x, c)], [torch.tensor([0.5, 0.5])])
        b = u.iteration([(x, c)], [torch.tensor([0.5, 0.5])])
        self.assertEqual(a, b)

    def test_the_average_of_g_follows_each_step_and_resumes_exactly(self):
        cfg = {**CONFIG, "gEma": 0.75}
        t = Trainer(cfg)
        x, c = torch.rand(2, 3, 16, 16) * 2 - 1, torch.tensor([1.0, 0.0])
        self.assertTrue(all(torch.equal(a, p) for a, p in zip(t.Gema.parameters(), t.G.parameters())))  # starts at G
        before = [a.clone() for a in t.Gema.parameters()]
        t.iteration([(x, c)], [torch.tensor([0.3, 0.6])])
        for a0, a, p in zip(before, t.Gema.parameters(), t.G.parameters()):
            self.assertTrue(torch.equal(a, a0 + (p - a0) * 0.25))  # avg + (p − avg)(1 − β), bit for bit
            self.assertFalse(a.requires_grad)
        self.assertFalse(all(torch.equal(a, p) for a, p in zip(t.Gema.parameters(), t.G.parameters())))
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "c.safetensors")
            t.save(p)
            ck = ckpt.read(p)
            self.assertEqual(sorted(ck["parts"]["Gema"]), sorted(ck["parts"]["G"]))
            self.assertTrue(all(v.dtype == torch.float32 for v in ck["parts"]["Gema"].values()))
            u = Trainer({**cfg, "seed": 99})
            u.resume(p)
            for a, b in zip(t.Gema.parameters(), u.Gema.parameters()):
                self.assertTrue(torch.equal(a, b))
            # The engine's resume --g-ema on a run without an average: it starts from the resumed G.
            plain = Trainer(CONFIG)
            plain.iteration([(x, c)], [torch.tensor([0.3, 0.6])])
            plain.save(p)
            v = Trainer(cfg)
            v.resume(p)
            for a, g in zip(v.Gema.parameters(), plain.G.parameters()):
                self.assertTrue(torch.equal(a, g))
            # A run that keeps one but whose file holds none is damaged, not silently restarted.
            with open(p, "rb") as f:
                tensors, md = parse(f.read())
            md["config"] = json.dumps({**json.loads(md["config"]), "gEma": 0.75})
            with open(p, "wb") as f:
                f.write(serialize(tensors, md))
            with self.assertRaisesRegex(ValueError, "holds none"):
                Trainer(cfg).resume(p)
        a = t.iteration([(x, c)], [torch.tensor([0.5, 0.5])])
        b = u.iteration([(x, c)], [torch.tensor([0.5, 0.5])])
        self.assertEqual(a, b)
        for p, q in zip(t.Gema.parameters(), u.Gema.parameters()):
            self.assertTrue(torch.equal(p, q))


class RngTest(unittest.TestCase):
    def test_mulberry32_and_hash_are_32_bit_and_deterministic(self):
        r = Rng(hash_ints(1, 0))
        xs = [r.u32() for _ in range(4)]
        self.assertTrue(all(0 <= x < 2 ** 32 for x in xs))
        self.assertEqual(xs, [Rng(hash_ints(1, 0)).u32()] + xs[1:])
        order = BatchOrder(10, 3, 5)
        seen = [i for k in range(3) for i in order(k)]
        self.assertEqual(sorted(seen), sorted(set(seen)))  # one epoch: no repeats
        self.assertEqual(len(seen), 9)


if __name__ == "__main__":
    unittest.main()
