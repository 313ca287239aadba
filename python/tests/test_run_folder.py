"""Unit tests of the twin's run-folder rules (sagan_torch.train), the engine's (src/sagan/cli/run-folder.ts):
a folder holding a run is never overwritten unless --force says so, --resume and --force exclude each
other, and a resume keeps the log's lines up to the checkpoint's iteration, each once.
Run: cd python && /usr/bin/python3 -m unittest discover -s tests"""
import json
import os
import tempfile
import unittest

from sagan_torch.config import UsageError
from sagan_torch.train import cut_log, setup


class RunFolderTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.out = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def test_a_folder_holding_a_run_is_refused_without_resume_or_force(self):
        with open(os.path.join(self.out, "log.jsonl"), "w") as f:
            f.write('{"step": 1}\n')
        with self.assertRaisesRegex(UsageError, r"already holds a run \(log\.jsonl\)\. Fix: --resume to continue it, --force"):
            setup(["--data", "/nonexistent", "--out", self.out], 1)
        with self.assertRaisesRegex(UsageError, "give one of them"):
            setup(["--data", "/nonexistent", "--out", self.out, "--resume", "--force"], 1)
        # With --force the folder check passes: the next thing setup does is open the data folder.
        with self.assertRaises(Exception) as e:
            setup(["--data", "/nonexistent", "--out", self.out, "--force"], 1)
        self.assertNotIsInstance(e.exception, UsageError)
        self.assertEqual(open(os.path.join(self.out, "log.jsonl")).read(), '{"step": 1}\n')  # nothing written yet

    def test_a_resume_cuts_the_log_to_the_checkpoints_iteration(self):
        path = os.path.join(self.out, "log.jsonl")
        lines = [json.dumps({"step": s, "d_loss": s / 10}) for s in (1, 2, 3, 2, 4, 5)]
        with open(path, "w") as f:
            f.write("\n".join(lines) + '\n{"step": 6, "d_lo')  # the last line cut short by a kill
        cut_log(path, 4)
        self.assertEqual([json.loads(l)["step"] for l in open(path)], [1, 2, 3, 4])
        self.assertEqual(json.loads(open(path).read().split("\n")[1])["d_loss"], 0.2)  # the first line of a step is kept


if __name__ == "__main__":
    unittest.main()
