"""SaGAN's networks, layer for layer and name for name as src/sagan/model.ts (so state dicts interchange):
AMN(x, c) edits, SAN(x) gives the attention mask b, G(x, c) = b·AMN(x, c) + (1 − b)·x (G.parts also
returns AMN's edit, which the identity term's mask-gradient share needs); D has a 2×2 critic map (src)
and an attribute logit (cls). build() makes both from the engine's model config and refuses a key it
does not know."""
import torch
import torch.nn as nn


class ResidualBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(c, c, 3, 1, 1), nn.InstanceNorm2d(c), nn.ReLU(),
            nn.Conv2d(c, c, 3, 1, 1), nn.InstanceNorm2d(c))

    def forward(self, x):
        return x + self.main(x)


class CondShift(nn.Module):
    """Not in the paper (model config 'condNorm'): h + c·δ per channel after a trunk norm of the AMN, δ from 0 —
    the paper's constant c plane is subtracted by the first norm everywhere but the padded border (model.ts)."""

    def __init__(self, c):
        super().__init__()
        self.delta = nn.Parameter(torch.zeros(c))

    def forward(self, h, c):
        return h + c.view(-1, 1, 1, 1) * self.delta.view(1, -1, 1, 1)


def trunk(in_ch, out_ch, w, n_res, last, down=3, cond=False):
    """Shared layer list of AMN and SAN: conv7 → down × (conv4 s2) → residual blocks → down × up → conv7 → last
    (down: the paper's 3 unless the model config says otherwise; cond: a CondShift after each trunk norm, as model.ts)."""
    def norm(c):
        return [nn.InstanceNorm2d(c)] + ([CondShift(c)] if cond else []) + [nn.ReLU()]
    layers = [nn.Conv2d(in_ch, w, 7, 1, 3)] + norm(w)
    c = w
    for _ in range(down):
        layers += [nn.Conv2d(c, c * 2, 4, 2, 1)] + norm(c * 2)
        c *= 2
    layers += [ResidualBlock(c) for _ in range(n_res)]
    for _ in range(down):
        layers += [nn.ConvTranspose2d(c, c // 2, 4, 2, 1)] + norm(c // 2)
        c //= 2
    layers += [nn.Conv2d(c, out_ch, 7, 1, 3)] + ([last] if last is not None else [])
    return nn.Sequential(*layers)


class AMN(nn.Module):
    """residual (model config 'residual', not in the paper): tanh(atanh(0.99 x) + f(x, c)), as model.ts;
    cond_norm ('condNorm', not in the paper): c also shifts the trunk's norms (CondShift)."""

    def __init__(self, w=32, n_res=4, down=3, residual=False, cond_norm=False):
        super().__init__()
        self.residual = residual
        self.main = trunk(4, 3, w, n_res, None if residual else nn.Tanh(), down, cond_norm)

    def forward(self, x, c):
        ctile = c.view(-1, 1, 1, 1).expand(-1, 1, x.size(2), x.size(3))
        f = torch.cat([x, ctile], 1)
        for m in self.main:
            f = m(f, c) if isinstance(m, CondShift) else m(f)
        return torch.tanh(torch.atanh(0.99 * x) + f) if self.residual else f


class SAN(nn.Module):
    def __init__(self, w=32, n_res=4, down=3):
        super().__init__()
        self.main = trunk(3, 1, w, n_res, nn.Sigmoid(), down)

    def forward(self, x):
        return self.main(x)


class Generator(nn.Module):
    """G(x, c) → (image, mask); attention=False is the ablation G = AMN (mask None), as in model.ts."""

    def __init__(self, w=32, n_res=4, attention=True, down=3, residual=False, cond_norm=False):
        super().__init__()
        self.amn = AMN(w, n_res, down, residual, cond_norm)
        self.san = SAN(w, n_res, down) if attention else None

    def parts(self, x, c):
        """(image, mask, AMN's edit y): image = b·y + (1 − b)·x, or y itself without attention (mask None)."""
        y = self.amn(x, c)
        if self.san is None:
            return y, None, y
        b = self.san(x)
        return b * y + (1 - b) * x, b, y

    def forward(self, x, c):
        return self.parts(x, c)[:2]


class Discriminator(nn.Module):
    def __init__(self, size=128, w=32):
        super().__init__()
        layers, c_in, c, s = [], 3, w, size
        while s > 2:
            layers += [nn.Conv2d(c_in, c, 4, 2, 1), nn.LeakyReLU(0.2)]
            c_in, c, s = c, c * 2, s // 2
        self.main = nn.Sequential(*layers)
        self.src = nn.Conv2d(c_in, 1, 3, 1, 1)
        self.cls = nn.Conv2d(c_in, 1, s, 1, 0)

    def forward(self, x):
        h = self.main(x)
        return self.src(h), self.cls(h).view(-1)


def init_discriminator(D):
    """D's weights N(0, 0.02), biases 0 — the spec's (and the engine's) initialisation; G keeps PyTorch's default."""
    for m in D.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.normal_(m.weight, 0, 0.02)
            nn.init.zeros_(m.bias)


# The engine's ModelConfig fields (src/sagan/model.ts): a layer option the twin lacks must not be ignored.
MODEL_KEYS = {"size", "width", "nRes", "attention", "down", "residual", "condNorm", "zeroInit"}


def build(model_cfg):
    """G and D from the checkpoint's model config {size, width, nRes, attention, down?} (the engine's ModelConfig)."""
    unknown = sorted(set(model_cfg) - MODEL_KEYS)
    if unknown:
        raise ValueError(f"model: config key '{unknown[0]}' is not implemented by the PyTorch twin (it knows {', '.join(sorted(MODEL_KEYS))})")
    s, w, n = int(model_cfg["size"]), int(model_cfg["width"]), int(model_cfg["nRes"])
    down = int(model_cfg.get("down", 3))
    if s < 16 or s & (s - 1):
        raise ValueError(f"model: size {s} must be a power of two >= 16")
    if down < 0 or 2 ** down > s // 2:
        raise ValueError(f"model: down {down} must be an integer from 0 to {s.bit_length() - 2}")
    residual = bool(model_cfg.get("residual", False))
    G = Generator(w, n, bool(model_cfg.get("attention", True)), down, residual, bool(model_cfg.get("condNorm", False)))
    if model_cfg.get("zeroInit", False):
        if not residual:
            raise ValueError("model: zeroInit needs residual (a zero last conv makes the paper's AMN output grey)")
        last = G.amn.main[-1]  # not in the paper: the edit starts at zero, AMN(x, c) = 0.99 x (model.ts)
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)
    D = Discriminator(s, w)
    init_discriminator(D)
    return G, D
