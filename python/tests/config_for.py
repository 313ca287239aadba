"""Test helper: the configs sagan_torch.train would write, for the engine to compare with its own.
Reads a JSON file of cases [{"argv": [...], "run"?: config, "step"?: n}] — with "run", a resume of that
run at iteration `step` — and prints a JSON list on the last line: each case's config as config.json
holds it, or {"error": message} where the twin refuses the flags."""
import json
import math
import sys

from sagan_torch.checkpoint import config_json
from sagan_torch.config import UsageError, new_config, parse, resumed_config

out = []
with open(sys.argv[1]) as f:
    cases = json.load(f)
for case in cases:
    a, given = parse(case["argv"])
    try:
        if "run" in case:
            run = {**case["run"], "decayFrom": math.inf if case["run"]["decayFrom"] is None else case["run"]["decayFrom"]}
            c = resumed_config(run, case["step"], a, given, "run")
        else:
            c = new_config(a, given)
        out.append(json.loads(config_json(c)))
    except UsageError as e:
        out.append({"error": str(e)})
print(json.dumps(out))
