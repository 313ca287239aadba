"""The training loop of src/sagan/trainer.ts in PyTorch, data-parallel: per iteration n_critic critic
steps on fresh batches, then one generator step on the last one; Adam (β 0.5, 0.999) for both; optional
critic warm-up (BCE on real images only) before iteration 1; optional linear learning-rate decay.

Distributed: each step's loss is computed inside one DistributedDataParallel forward (CriticStep /
GeneratorStep below), so the gradient penalty's inner autograd.grad (w.r.t. the images, create_graph)
stays inside the forward and DDP sees exactly one backward per forward; gradients are averaged over
processes, i.e. the step is the one a single process would take on the union of the batches.

Random draws: ε of the gradient penalty comes from a generator reseeded every iteration from
(seed, iteration, rank) — so resuming needs no saved PyTorch RNG state. The engine draws ε from its own
counter-based RNG (checkpoint metadata `rng`), which this trainer carries along unchanged.

With config.gEma (`--g-ema β`), an average of G's weights (ema.py) follows every generator step: after
DDP's step every process holds the same weights, so each updates its own copy identically (no
communication). check_config refuses a config this twin cannot train exactly (DiffAugment, an unknown
loss weight, model option or config field), rather than ignoring what it does not know."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import checkpoint as ckpt
from .data import hash_ints
from .ema import GeneratorEMA
from .losses import PAPER_WEIGHTS, check_weights, d_loss, g_loss
from .model import build

FIELDS = ["d_loss", "d_adv", "gp", "d_cls", "g_loss", "g_adv", "g_cls", "rec", "idt", "mask_mean"]
# The engine's TrainConfig fields (src/sagan/config.ts), and `processes` (this twin's process count).
CONFIG_KEYS = {"attribute", "data", "dataSeed", "dataCount", "trainCount", "model", "batchSize", "steps", "dWarmup",
               "nCritic", "augment", "lrG", "lrD", "betas", "decayFrom", "weights", "gEma", "seed", "logEvery",
               "sampleEvery", "checkpointEvery", "changes", "processes"}


def check_config(c, where="config"):
    """Refuses (ValueError, saying why and what to do) a config this twin would not train as the engine does."""
    unknown = sorted(set(c) - CONFIG_KEYS)
    if unknown:
        raise ValueError(f"{where}: config field '{unknown[0]}' is not known to the PyTorch twin. "
                         "Fix: continue this run with the engine (sagan train --resume)")
    if c.get("augment"):
        raise ValueError(f"{where}: the run uses DiffAugment (augment {c['augment']}), which the PyTorch twin lacks. "
                         "Fix: continue this run with the engine (sagan train --resume)")
    check_weights(c.get("weights", PAPER_WEIGHTS), f"{where}: weights")
    if c.get("gEma") is not None and not 0 < c["gEma"] <= 0.9999:
        raise ValueError(f"{where}: gEma {c['gEma']} must be in (0, 0.9999]")


class CriticStep(nn.Module):
    """D's loss as one forward. G is held outside the module tree (a plain attribute in a tuple), so DDP
    neither syncs nor waits for it."""

    def __init__(self, D, G, weights):
        super().__init__()
        self.D, self._G, self.weights = D, (G,), weights

    def forward(self, x, c, eps=None):
        if eps is None:  # critic warm-up: the attribute loss alone
            src, cls = self.D(x)
            # 0·src keeps the critic head in the graph: DDP expects a gradient for every parameter.
            return F.binary_cross_entropy_with_logits(cls, c) + 0 * src.sum(), {}
        return d_loss(self._G[0], self.D, x, c, eps, self.weights)


class GeneratorStep(nn.Module):
    def __init__(self, G, D, weights):
        super().__init__()
        self.G, self._D, self.weights = G, (D,), weights

    def forward(self, x, c):
        return g_loss(self.G, self._D[0], x, c, self.weights)


def linear_decay(base, step, start, end):
    if step <= start:
        return base
    if step >= end:
        return 0.0
    return base * (end - step) / (end - start)


class Trainer:
    def __init__(self, config, stream=None, device="cpu", rank=0, world=1):
        check_config(config)
        # The weights used are the ones saved: a config without them trains (and records) the paper's.
        config = {**config, "weights": dict(config.get("weights", PAPER_WEIGHTS))}
        self.config, self.stream, self.device, self.rank, self.world = config, stream, torch.device(device), rank, world
        torch.manual_seed(config["seed"])  # same initial weights on every process (DDP also broadcasts rank 0's)
        self.G, self.D = (m.to(self.device) for m in build(config["model"]))
        betas = tuple(config.get("betas", (0.5, 0.999)))
        self.optG = torch.optim.Adam(self.G.parameters(), lr=config["lrG"], betas=betas)
        self.optD = torch.optim.Adam(self.D.parameters(), lr=config["lrD"], betas=betas)
        w = config["weights"]
        self.critic, self.gen = CriticStep(self.D, self.G, w), GeneratorStep(self.G, self.D, w)
        if world > 1:
            from torch.nn.parallel import DistributedDataParallel as DDP
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.critic, self.gen = DDP(self.critic, device_ids=ids), DDP(self.gen, device_ids=ids)
        # After DDP's broadcast of rank 0's weights: the average starts from the G every process trains.
        self.ema = GeneratorEMA(self.G, config["gEma"]) if config.get("gEma") else None
        self.step, self.batches, self.warmed_up = 0, 0, False
        self.rng = {"seed": config["seed"], "offset": 0}

    @property
    def Gema(self):
        """The average of G's weights (config.gEma), or None: what sampling, eval and edit should use."""
        return self.ema.module if self.ema else None

    # ── checkpoints ──
    def save(self, path):
        ckpt.save(path, self.G, self.D, self.optG, self.optD, self.step, self.config, self.rng, self.batches, self.Gema)

    def resume(self, path):
        ck = ckpt.read(path)
        run = ck["meta"]["config"]
        check_config(run, path)
        if "optG" not in ck["groups"] or "optD" not in ck["groups"]:
            raise ValueError(f"{path}: holds no optimiser state (a weights-only export?); cannot resume training from it. "
                             "Fix: resume from a run folder's checkpoint.safetensors (sagan export keeps G only)")
        got = run["model"]
        if got != self.config["model"]:
            raise ValueError(f"{path}: model config {got} differs from this run's {self.config['model']}")
        on_device = lambda part: {k: v.to(self.device) for k, v in ck["parts"][part].items()}
        ckpt.load_weights(self.G, on_device("G"), f"{path}: G")
        ckpt.load_weights(self.D, on_device("D"), f"{path}: D")
        if self.ema:  # as the engine's Trainer.resume: the saved average, or (--g-ema added on resume) G's weights
            if ck["parts"]["Gema"]:
                ckpt.load_weights(self.ema.module, on_device("Gema"), f"{path}: Gema")
            elif run.get("gEma"):
                raise ValueError(f"{path}: the run keeps an average of G's weights (gEma {run['gEma']}) but the checkpoint "
                                 "holds none (Gema.*); the file is damaged")
            else:
                self.ema.reset()
        ckpt.load_adam(self.optG, list(self.G.parameters()), ck["parts"]["optG"], ck["groups"]["optG"], f"{path}: optG")
        ckpt.load_adam(self.optD, list(self.D.parameters()), ck["parts"]["optD"], ck["groups"]["optD"], f"{path}: optD")
        self.step, self.batches, self.rng, self.warmed_up = ck["meta"]["step"], ck["meta"]["batches"], ck["meta"]["rng"], True

    # ── steps ──
    def lr(self, base):
        c = self.config
        return linear_decay(base, self.step, c["decayFrom"], c["steps"]) if c["decayFrom"] < c["steps"] else base

    def _draw(self, j):
        x, c = self.stream.draw(self.batches, j)
        return x.to(self.device), c.to(self.device)

    def _eps(self, n, i):
        g = torch.Generator().manual_seed(hash_ints(self.config["seed"], self.step, self.rank, i))
        return torch.rand(n, generator=g).to(self.device)

    def warmup(self):
        n = int(self.config.get("dWarmup") or 0)
        if n <= 0 or self.step > 0 or self.warmed_up:
            return None
        for j in range(n):
            x, c = self._draw(j)
            loss, _ = self.critic(x, c)
            self.optD.zero_grad(set_to_none=True)
            loss.backward()
            self.optD.step()
        self.batches += n * self.world
        self.warmed_up = True
        return loss.item()

    def iteration(self, batches=None, eps=None):
        """One iteration; batches/eps (lists of n_critic) replace the stream's and the generator's draws
        (tests feed the engine's). Returns the log record (losses averaged over processes)."""
        c = self.config
        lr_now = self.lr(c["lrG"])  # logged as the engine logs it: the rate this iteration used
        for opt, base in ((self.optD, c["lrD"]), (self.optG, c["lrG"])):
            for g in opt.param_groups:
                g["lr"] = self.lr(base)
        n_critic = c["nCritic"]
        for i in range(n_critic):
            x, y = batches[i] if batches else self._draw(i)
            e = eps[i].to(self.device) if eps is not None else self._eps(x.shape[0], i)
            loss, parts = self.critic(x, y, e)
            self.optD.zero_grad(set_to_none=True)
            loss.backward()
            self.optD.step()
            d = [loss.detach(), parts["d_adv"].detach(), parts["gp"].detach(), parts["d_cls"].detach()]
        if not batches:
            self.batches += n_critic * self.world
        self.D.requires_grad_(False)  # the G step differentiates through D but must not touch D's gradients
        try:
            loss, parts = self.gen(x, y)
            self.optG.zero_grad(set_to_none=True)
            loss.backward()
            self.optG.step()
            if self.ema:
                self.ema.update()
        finally:
            self.D.requires_grad_(True)
        vals = torch.stack(d + [loss.detach()] + [parts[k].detach().to(self.device) for k in ("g_adv", "g_cls", "rec", "idt", "mask_mean")])
        if self.world > 1:
            torch.distributed.all_reduce(vals)
            vals /= self.world
        self.step += 1
        return {"step": self.step, **{k: float(v) for k, v in zip(FIELDS, vals.tolist())}, "lr": lr_now}
