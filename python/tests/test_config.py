"""Unit tests of sagan_torch.config (the flags → the engine's TrainConfig, and what --resume continues
with); test/torch/twin.test.ts also compares both with the engine's own configFromFlags/resumedConfig.
Run: cd python && /usr/bin/python3 -m unittest discover -s tests"""
import contextlib
import io
import math
import unittest

from sagan_torch.config import UsageError, new_config, parse, resumed_config

DATA = ["--data", "/data/celeba"]


def new(*flags):
    a, given = parse(DATA + list(flags))
    return new_config(a, given)


def resume(run, step, *flags):
    a, given = parse(DATA + ["--resume"] + list(flags))
    return resumed_config(run, step, a, given, "runs/x/checkpoint.safetensors")


class NewRunTest(unittest.TestCase):
    def test_weights_hold_the_optional_keys_only_when_not_the_papers(self):
        c = new()
        self.assertEqual(c["weights"], {"gp": 10, "cls": 1, "rec": 20, "idt": 100})
        self.assertNotIn("gEma", c)
        c = new("--cls", "0.7", "--cls-fake", "0.5", "--rec", "7", "--idt", "50", "--idt-mask", "0", "--g-ema", "0.995")
        self.assertEqual(c["weights"], {"gp": 10, "cls": 0.7, "rec": 7, "idt": 50, "clsFake": 0.5, "idtMask": 0})
        self.assertEqual(c["gEma"], 0.995)

    def test_resume_only_flags_and_out_of_range_values_are_refused(self):
        with self.assertRaisesRegex(UsageError, "--new-cls changes --cls of a resumed run; for a new run use --cls"):
            new("--new-cls", "1.5")
        with self.assertRaisesRegex(UsageError, "--new-lr changes the learning rate"):
            new("--new-lr", "1e-4")
        for bad in (["--idt-mask", "1.5"], ["--g-ema", "1"], ["--cls-fake", "-1"], ["--lr", "0"]):
            with self.assertRaises(SystemExit, msg=bad), contextlib.redirect_stderr(io.StringIO()):  # argparse's usage line
                parse(DATA + bad)

    def test_given_flags_are_told_apart_from_defaults(self):
        _, given = parse(DATA + ["--cls", "1", "--amn-residual", "--new-idt-mask", "0.1"])
        self.assertEqual(given, {"data", "cls", "amn-residual", "new-idt-mask"})


RUN = {"attribute": "Eyeglasses", "data": "/home/me/celeba", "model": {"size": 32, "width": 16, "nRes": 2, "attention": True, "down": 1},
       "batchSize": 8, "steps": 1700, "nCritic": 3, "lrG": 1e-3, "lrD": 1e-3, "betas": [0.5, 0.999], "decayFrom": math.inf,
       "dWarmup": 300, "weights": {"gp": 10, "cls": 1, "rec": 5, "idt": 100, "clsFake": 1, "idtMask": 0}, "seed": 3,
       "logEvery": 10, "sampleEvery": 250, "checkpointEvery": 100}


class ResumeTest(unittest.TestCase):
    def test_the_runs_config_is_kept_not_the_flags_defaults(self):
        self.assertEqual(resume(RUN, 1700), RUN)  # the twin's defaults (batch 16, rec 20, no clsFake, …) do not leak in
        self.assertEqual(resume(RUN, 1700, "--batch", "8", "--rec", "5", "--idt-mask", "0", "--down", "1"), RUN)

    def test_the_two_stage_recipe_is_recorded_as_the_engine_records_it(self):
        c = resume(RUN, 1700, "--steps", "2500", "--new-cls", "1.5", "--new-lr", "5e-4", "--new-idt-mask", "0.2", "--new-rec", "5",
                   "--g-ema", "0.99", "--decay-from", "2000", "--ckpt-every", "50")
        self.assertEqual(c["changes"], [
            {"step": 1700, "field": "steps", "from": 1700, "to": 2500},
            {"step": 1700, "field": "lr", "from": 1e-3, "to": 5e-4},
            {"step": 1700, "field": "cls", "from": 1, "to": 1.5},
            {"step": 1700, "field": "idtMask", "from": 0, "to": 0.2},  # --new-rec 5 is the run's: no change
            {"step": 1700, "field": "decayFrom", "from": -1, "to": 2000},
            {"step": 1700, "field": "gEma", "from": 0, "to": 0.99}])
        self.assertEqual((c["steps"], c["lrG"], c["lrD"], c["decayFrom"], c["gEma"], c["checkpointEvery"]), (2500, 5e-4, 5e-4, 2000, 0.99, 50))
        self.assertEqual(c["weights"], {**RUN["weights"], "cls": 1.5, "idtMask": 0.2})
        self.assertNotIn("changes", RUN)  # the run's config is not modified in place
        again = resume(c, 2500, "--steps", "3000", "--g-ema", "0")  # a second resume appends, and 0 drops the average
        self.assertEqual(again["changes"][-2:], [{"step": 2500, "field": "steps", "from": 2500, "to": 3000},
                                                 {"step": 2500, "field": "gEma", "from": 0.99, "to": 0}])
        self.assertNotIn("gEma", again)

    def test_contradictions_are_refused_with_a_fix(self):
        for flags, why in ((["--batch", "16"], "--batch 16 differs from the run being resumed"),
                           (["--cls-fake", "0"], "--cls-fake 0.0 differs"), (["--amn-residual"], "--amn-residual True differs"),
                           (["--lr", "2e-4"], "use --new-lr"), (["--steps", "1000"], "below the iteration the run is at"),
                           (["--decay-from", "100"], "would start before")):
            with self.assertRaisesRegex(UsageError, why, msg=flags) as e:
                resume(RUN, 1700, *flags)
            self.assertIn("Fix:", str(e.exception))
        with self.assertRaisesRegex(UsageError, "synthetic faces"):
            resume({**RUN, "data": "synthetic"}, 10)


if __name__ == "__main__":
    unittest.main()
