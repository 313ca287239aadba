"""`sagan_torch.train`'s flags and the TrainConfig they make, as src/sagan/cli/train.ts and resume.ts:
  - FLAGS / parse: `sagan train`'s flags that the twin implements (same names, defaults and ranges), and
    which of them were given on the command line (a resume must know what the user asked to change);
  - new_config: a new run's config, the engine's configFromFlags (weights.clsFake / idtMask only when
    not the paper's, gEma only when > 0), plus `processes`;
  - resumed_config: what `--resume` continues with — the run's own config from its checkpoint, never
    the flags' defaults. A flag that must match the run and differs is refused ("Fix: …"); --steps,
    --new-lr, --new-rec, --new-cls, --new-cls-fake, --new-idt-mask, --decay-from and --g-ema change it from here on,
    recorded in config["changes"] exactly as the engine records them.
Errors are UsageError: one line saying what is wrong and how to fix it."""
import argparse
import math

from .losses import PAPER_WEIGHTS, weight_of


class UsageError(Exception):
    pass


def _number(kind, lo=None, hi=None, above=None):
    """An argparse type that also checks the engine's range for the flag."""
    def conv(s):
        try:
            v = kind(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{s!r} is not {'an integer' if kind is int else 'a number'}")
        if (lo is not None and v < lo) or (hi is not None and v > hi) or (above is not None and not v > above):
            bounds = [f"≥ {lo}" if lo is not None else "", f"> {above}" if above is not None else "", f"≤ {hi}" if hi is not None else ""]
            raise argparse.ArgumentTypeError(f"{s} must be {' and '.join(b for b in bounds if b)}")
        return v
    return conv


# (flag, argparse keywords). Defaults: the engine's DEFAULT_TRAIN and flag table (train.ts TRAIN_FLAGS).
FLAGS = [
    ("--data", dict(required=True, help="a CelebA-layout folder (list_attr_celeba.txt + img_align_celeba/); with --resume it may "
                                         "live elsewhere than where the run was trained (the run's recorded path is kept)")),
    ("--attr", dict(default="Eyeglasses", help="attribute to edit (any of the list's columns)")),
    ("--size", dict(type=_number(int, 16), default=128, help="image size (power of two >= 16)")),
    ("--width", dict(type=_number(int, 1), default=32, help="base width w of G and D")),
    ("--res", dict(type=_number(int, 0), default=4, help="residual blocks in AMN and SAN")),
    ("--down", dict(type=_number(int, 0), default=3, help="down-sampling stages of AMN and SAN (the paper's 3; as sagan train --down)")),
    ("--amn-residual", dict(action="store_true", help="the AMN predicts the change, tanh(atanh(0.99 x) + f) (as sagan train --amn-residual)")),
    ("--amn-cond", dict(action="store_true", help="c also shifts the AMN's instance norms, IN(h) + c·δ (as sagan train --amn-cond)")),
    ("--amn-zero-init", dict(action="store_true", help="the AMN's last conv starts at zero (needs --amn-residual; as sagan train --amn-zero-init)")),
    ("--batch", dict(type=_number(int, 1), default=16, help="batch size per process")),
    ("--steps", dict(type=_number(int, 1), default=10000, help="iterations (each: n-critic D steps + 1 G step); with --resume: a new total")),
    ("--n-critic", dict(type=_number(int, 1), default=3, help="D steps per G step")),
    ("--lr", dict(type=_number(float, hi=1, above=0), default=2e-4, help="learning rate of G and D (Adam, betas 0.5, 0.999)")),
    ("--new-lr", dict(type=_number(float, 0, 1), default=0.0, help="with --resume: change the learning rate from here on (recorded in config.json; 0: keep)")),
    ("--d-warmup", dict(type=_number(int, 0), default=0, help="critic warm-up: D steps on the attribute loss alone before iteration 1")),
    ("--cls", dict(type=_number(float, 0), default=PAPER_WEIGHTS["cls"],
                   help="weight λ_cls of the attribute terms, the critic's BCE(cls(x), c) and the generator's BCE(cls(G(x,t)), t) (the paper's 1)")),
    ("--cls-fake", dict(type=_number(float, 0), default=0.0,
                        help="not in the paper (0): weight of a critic class-head loss that labels edits with their source attribute, "
                             "BCE(cls(G(x,t)), c), so the head cannot keep a cheap cue the generator learns to paint instead")),
    ("--rec", dict(type=_number(float, 0), default=PAPER_WEIGHTS["rec"], help="weight of the dual reconstruction ‖G(G(x,t), c) − x‖₁ (the paper's 20)")),
    ("--new-rec", dict(type=_number(float, -1), default=-1.0, help="with --resume: change --rec from here on (recorded in config.json; -1: keep)")),
    ("--new-cls", dict(type=_number(float, -1), default=-1.0, help="with --resume: change --cls from here on (recorded in config.json; -1: keep)")),
    ("--new-cls-fake", dict(type=_number(float, -1), default=-1.0, help="with --resume: change --cls-fake from here on (recorded in config.json; -1: keep)")),
    ("--new-idt-mask", dict(type=_number(float, -1, 1), default=-1.0, help="with --resume: change --idt-mask from here on (recorded in config.json; -1: keep)")),
    ("--idt", dict(type=_number(float, 0), default=PAPER_WEIGHTS["idt"], help="weight of the identity term ‖G(x, c) − x‖₁ (the paper's 100)")),
    ("--idt-mask", dict(type=_number(float, 0, 1), default=1.0,
                        help="not in the paper (1): share of the identity term's gradient that reaches the attention mask; "
                             "0: the identity term trains only the AMN to copy")),
    ("--decay-from", dict(type=_number(int, -1), default=-1,
                          help="decay the learning rate linearly to 0 (at --steps) from this iteration (-1: never); with --resume: "
                               "a decay that starts at the run's iteration or later")),
    ("--g-ema", dict(type=_number(float, 0, 0.9999), default=0.0,
                     help="not in the paper (0: none): keep an exponential moving average of G's weights with this β (e.g. 0.995), "
                          "checkpointed beside G as Gema.*; sagan edit uses it. With --resume: the average starts from the current weights")),
    ("--seed", dict(type=_number(int, 0, 2 ** 32 - 1), default=1, help="seed of weights, batch order and noise")),
    ("--no-attention", dict(action="store_true", help="ablation: G(x, c) = AMN(x, c), no spatial attention")),
    ("--out", dict(default="runs/train", help="output folder")),
    ("--resume", dict(action="store_true", help="continue OUT's run from its checkpoint (its settings; --steps/--new-lr/--new-rec/"
                                                 "--new-cls/--new-cls-fake/--new-idt-mask/--decay-from/--g-ema change them)")),
    ("--force", dict(action="store_true", help="start a new run in OUT even though it holds one (replaces its checkpoint, log and config)")),
    ("--log-every", dict(type=_number(int, 1), default=10, help="print a progress line every N iterations (log.jsonl gets every one)")),
    ("--ckpt-every", dict(type=_number(int, 1), default=500, help="write the checkpoint every N iterations")),
    ("--device", dict(default="auto", help="auto (CUDA when present), cpu or cuda")),
]
# The flags that change a resumed run from here on; a new run refuses them, naming the flag to use.
WEIGHT_CHANGES = [("new-rec", "rec", "--rec"), ("new-cls", "cls", "--cls"), ("new-cls-fake", "clsFake", "--cls-fake"),
                  ("new-idt-mask", "idtMask", "--idt-mask")]
RESUME_ONLY = [("new-lr", "the learning rate", "--lr")] + [(f, n, n) for f, _, n in WEIGHT_CHANGES]


def _parser(description, given_only=False):
    p = argparse.ArgumentParser(prog="sagan_torch.train", description=description,
                                argument_default=argparse.SUPPRESS if given_only else None)
    for flag, kw in FLAGS:
        if given_only:  # no defaults, nothing required: the namespace holds exactly the flags given
            kw = {k: v for k, v in kw.items() if k not in ("default", "required")}
        elif "default" in kw:
            kw = {**kw, "help": f"{kw['help']} (default {kw['default']})"}
        p.add_argument(flag, **kw)
    return p


def parse(argv, description=None):
    """→ (args, given): the parsed flags and the set of flag names (engine spelling, 'new-cls') given."""
    a = _parser(description).parse_args(argv)
    given = {k.replace("_", "-") for k in vars(_parser(description, True).parse_args(argv))}
    return a, given


def _get(a, flag):
    return getattr(a, flag.replace("-", "_"))


def new_config(a, given, world=1):
    """A new run's config from the flags (train.ts configFromFlags)."""
    for flag, what, new_run in RESUME_ONLY:
        if flag in given:
            raise UsageError(f"train: --{flag} changes {what} of a resumed run; for a new run use {new_run}")
    return {
        "attribute": a.attr, "data": a.data,
        "model": {"size": a.size, "width": a.width, "nRes": a.res, "attention": not a.no_attention,
                  **({"down": a.down} if a.down != 3 else {}), **({"residual": True} if a.amn_residual else {}),
                  **({"condNorm": True} if a.amn_cond else {}), **({"zeroInit": True} if a.amn_zero_init else {})},
        "batchSize": a.batch, "steps": a.steps, "nCritic": a.n_critic, "lrG": a.lr, "lrD": a.lr,
        "betas": [0.5, 0.999], "decayFrom": math.inf if a.decay_from < 0 else a.decay_from, "dWarmup": a.d_warmup,
        **({"gEma": a.g_ema} if a.g_ema > 0 else {}),
        "weights": {**PAPER_WEIGHTS, "cls": a.cls, "rec": a.rec, "idt": a.idt,
                    **({"clsFake": a.cls_fake} if a.cls_fake > 0 else {}), **({"idtMask": a.idt_mask} if a.idt_mask < 1 else {})},
        "seed": a.seed, "logEvery": a.log_every, "sampleEvery": a.ckpt_every, "checkpointEvery": a.ckpt_every,
        "processes": world,
    }


# Flags that must match the run being resumed, and how each reads its value from a config (resume.ts MUST_MATCH).
MUST_MATCH = {
    "attr": lambda c: c["attribute"],
    "size": lambda c: c["model"]["size"],
    "width": lambda c: c["model"]["width"],
    "res": lambda c: c["model"]["nRes"],
    "down": lambda c: c["model"].get("down", 3),
    "amn-residual": lambda c: c["model"].get("residual", False),
    "amn-cond": lambda c: c["model"].get("condNorm", False),
    "amn-zero-init": lambda c: c["model"].get("zeroInit", False),
    "no-attention": lambda c: not c["model"]["attention"],
    "batch": lambda c: c["batchSize"],
    "n-critic": lambda c: c["nCritic"],
    "lr": lambda c: c["lrG"],
    "d-warmup": lambda c: c.get("dWarmup", 0),
    "seed": lambda c: c["seed"],
    "cls": lambda c: c["weights"]["cls"],
    "cls-fake": lambda c: weight_of(c["weights"], "clsFake"),
    "rec": lambda c: c["weights"]["rec"],
    "idt": lambda c: c["weights"]["idt"],
    "idt-mask": lambda c: weight_of(c["weights"], "idtMask"),
}


def resumed_config(run, step, a, given, where):
    """The config a resume at iteration `step` continues with (resume.ts resumedConfig): the run's, with
    the deliberate changes the flags ask for appended to its `changes` ({step, field, from, to})."""
    if run["data"] == "synthetic":
        raise UsageError(f"train: the run in {where} trained on the engine's synthetic faces, which the PyTorch twin cannot draw. "
                         "Fix: continue it with the engine (sagan train --resume)")
    for flag, read in MUST_MATCH.items():
        if flag not in given:
            continue
        want, got = read(run), _get(a, flag)
        if got != want:
            hint = " To change the learning rate from here on, use --new-lr." if flag == "lr" else ""
            raise UsageError(f"train: --{flag} {got} differs from the run being resumed ({where}: {want}). A resume continues the run "
                             f"exactly. Fix: drop --{flag} (the run's value is used), or start a new run in another --out.{hint}")
    c = {**run, "weights": dict(run["weights"]), "changes": list(run.get("changes", []))}

    def change(field, was, to):
        c["changes"].append({"step": step, "field": field, "from": was, "to": to})

    if "steps" in given and a.steps != run["steps"]:
        if a.steps < step:
            raise UsageError(f"train: --steps {a.steps} is below the iteration the run is at ({step}, {where}). Fix: give a total ≥ {step}.")
        change("steps", run["steps"], a.steps)
        c["steps"] = a.steps
    if "new-lr" in given and a.new_lr > 0 and a.new_lr != run["lrG"]:
        change("lr", run["lrG"], a.new_lr)
        c["lrG"] = c["lrD"] = a.new_lr
    for flag, field, _ in WEIGHT_CHANGES:
        to, was = _get(a, flag), weight_of(run["weights"], field)
        if flag not in given or to < 0 or to == was:
            continue
        change(field, was, to)
        c["weights"][field] = to
    decay = lambda d: d if math.isfinite(d) else -1
    if "decay-from" in given and a.decay_from != decay(run["decayFrom"]):
        to = math.inf if a.decay_from < 0 else a.decay_from
        # Only a decay that has not started may move, and only to here or later: the rate never jumps.
        if run["decayFrom"] < step or to < step:
            why = (f"the run's decay already started at {run['decayFrom']}" if run["decayFrom"] < step
                   else f"it would start before the iteration the run is at ({step})")
            raise UsageError(f"train: --decay-from {a.decay_from}: {why}, {where}, and the learning rate would jump. "
                             f"Fix: give a value ≥ {step}{' on a run whose decay has not started' if run['decayFrom'] < step else ''}, or drop --decay-from.")
        change("decayFrom", decay(run["decayFrom"]), a.decay_from)  # the flag's own −1 is "never", as recorded
        c["decayFrom"] = to
    if "g-ema" in given and a.g_ema != run.get("gEma", 0):
        change("gEma", run.get("gEma", 0), a.g_ema)
        if a.g_ema > 0:
            c["gEma"] = a.g_ema
        else:
            c.pop("gEma", None)
    if "log-every" in given:
        c["logEvery"] = a.log_every
    if "ckpt-every" in given:
        c["checkpointEvery"] = a.ckpt_every
    if not c["changes"]:
        del c["changes"]
    return c
