"""Checkpoints in sagan-webgpu's format (src/sagan/checkpoint.ts), so the engine loads them unchanged and
this trainer resumes the engine's: one safetensors file with G.* and D.* (the shared parameter names),
Gema.* (the average of G's weights, G's names, when the run keeps one: --g-ema), both Adam states as
optG.state.<i>.{step,exp_avg,exp_avg_sq} / optD.… (i = position in parameters(), step an F32 scalar),
and string metadata: format, step, config (the engine's TrainConfig JSON), rng, batches (the data
stream position) and optG/optD.param_groups. Nothing PyTorch-specific is stored."""
import json
import math

import torch

from .safetensors_io import load_file, save_file

FORMAT = "sagan-webgpu/1"


def _adam_state(opt, params):
    out = {}
    for i, p in enumerate(params):
        st = opt.state.get(p)
        if not st:
            continue
        out[f"state.{i}.step"] = torch.tensor(float(st["step"]), dtype=torch.float32)
        out[f"state.{i}.exp_avg"] = st["exp_avg"].float()
        out[f"state.{i}.exp_avg_sq"] = st["exp_avg_sq"].float()
    g = opt.param_groups[0]
    groups = [{"lr": g["lr"], "betas": list(g["betas"]), "eps": g["eps"], "weight_decay": g["weight_decay"],
               "amsgrad": False, "maximize": False, "params": list(range(len(params)))}]
    return out, json.dumps(groups)


def config_json(cfg, indent=None):
    """The config as the engine writes it (config.json, checkpoint metadata). JSON has no Infinity: the
    engine writes decayFrom = Infinity as null, so do the same."""
    return json.dumps({k: (None if isinstance(v, float) and math.isinf(v) else v) for k, v in cfg.items()}, indent=indent)


def save(path, G, D, optG, optD, step, config, rng, batches, Gema=None):
    """Gema: the averaged copy of G (ema.GeneratorEMA.module), or None."""
    tensors = {f"G.{k}": v.float() for k, v in G.state_dict().items()}
    tensors.update({f"D.{k}": v.float() for k, v in D.state_dict().items()})
    if Gema is not None:
        tensors.update({f"Gema.{k}": v.float() for k, v in Gema.state_dict().items()})
    meta = {"format": FORMAT, "step": str(step), "config": config_json(config), "rng": json.dumps(rng),
            "batches": str(batches)}
    for name, opt, mod in (("optG", optG, G), ("optD", optD, D)):
        if opt is None:
            continue
        st, groups = _adam_state(opt, list(mod.parameters()))
        tensors.update({f"{name}.{k}": v for k, v in st.items()})
        meta[f"{name}.param_groups"] = groups
    save_file(path, tensors, meta)


def read(path):
    """→ {'meta': {step, config, rng, batches}, 'parts': {'G': {...}, 'D', 'optG', 'optD', 'Gema'}, 'groups': {...}}
    (Gema: the engine's average of G's weights, `sagan train --g-ema`; empty without one)."""
    tensors, md = load_file(path)
    if md.get("format") != FORMAT:
        raise ValueError(f"{path}: not a sagan-webgpu checkpoint (metadata format {md.get('format')!r}, expected {FORMAT!r})")
    parts = {"G": {}, "D": {}, "optG": {}, "optD": {}, "Gema": {}}
    for k, v in tensors.items():
        p, _, rest = k.partition(".")
        if p not in parts:
            raise ValueError(f"{path}: unexpected tensor '{k}' (expected G., D., optG., optD. or Gema. prefixes)")
        parts[p][rest] = v
    cfg = json.loads(md["config"])
    if cfg.get("decayFrom") is None:
        cfg["decayFrom"] = math.inf
    groups = {n: json.loads(md[f"{n}.param_groups"]) for n in ("optG", "optD") if f"{n}.param_groups" in md}
    meta = {"step": int(md["step"]), "config": cfg, "rng": json.loads(md["rng"]), "batches": int(md["batches"])}
    return {"meta": meta, "parts": parts, "groups": groups}


def load_adam(opt, params, state, groups, who):
    """Restores an Adam (hyperparameters and per-parameter moments) from the engine's flattened form."""
    if len(groups) != 1 or len(groups[0]["params"]) != len(params):
        raise ValueError(f"{who}: the checkpoint's optimiser has {len(groups[0]['params'])} parameters, this model {len(params)}")
    g = groups[0]
    for pg in opt.param_groups:
        pg.update(lr=g["lr"], betas=tuple(g["betas"]), eps=g["eps"], weight_decay=g["weight_decay"])
    opt.state.clear()
    for i, p in enumerate(params):
        if f"state.{i}.step" not in state:
            continue
        m, v = state[f"state.{i}.exp_avg"], state[f"state.{i}.exp_avg_sq"]
        if m.shape != p.shape:
            raise ValueError(f"{who}: state.{i}.exp_avg has shape {list(m.shape)}, the parameter {list(p.shape)}")
        opt.state[p] = {"step": torch.tensor(float(state[f"state.{i}.step"].item())),
                        "exp_avg": m.to(p.device, p.dtype).clone(), "exp_avg_sq": v.to(p.device, p.dtype).clone()}


def load_weights(module, sd, who):
    try:
        module.load_state_dict(sd, strict=True)
    except RuntimeError as e:
        raise ValueError(f"{who}: weights do not fit the model in the checkpoint's config: {e}") from e
