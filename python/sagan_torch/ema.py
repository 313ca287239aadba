"""The engine's ParameterEMA (src/engine/optim/ema.ts) for G (`sagan train --g-ema β`): a copy of G whose
weights follow G's after every generator step, avg ← avg + (1 − β)·(p − avg), starting from G's own.
It has parameters only (instance norm keeps no running statistics, so G has no buffers to average) and
stays float32, as the engine's; checkpoints hold it as `Gema.*` with G's names (checkpoint.py)."""
import copy

import torch


class GeneratorEMA:
    def __init__(self, G, beta):
        if not 0 < beta < 1:
            raise ValueError(f"g-ema: beta {beta} must be in (0, 1)")
        if any(True for _ in G.buffers()):
            raise ValueError("g-ema: G has buffers, which the engine's average does not keep")
        self.G, self.beta = G, beta
        # A copy, not a fresh build: the global RNG is not drawn, so a run trains exactly as without it.
        self.module = copy.deepcopy(G).requires_grad_(False)

    @torch.no_grad()
    def reset(self):
        """The average := G's weights (where an average starts: a new run, or --g-ema added on resume)."""
        for a, p in zip(self.module.parameters(), self.G.parameters()):
            a.copy_(p)

    @torch.no_grad()
    def update(self):
        """One step, after the optimiser's: avg + (p − avg)·(1 − β), in the engine's order of operations."""
        k = 1 - self.beta
        for a, p in zip(self.module.parameters(), self.G.parameters()):
            a.add_((p - a).mul_(k))
