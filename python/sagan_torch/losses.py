"""SaGAN's losses, term for term as src/sagan/losses.ts, with the engine's loss weights (`weights` of its
TrainConfig; the paper's by default):
  - d_loss: the WGAN-GP critic loss (λ_gp) with the attribute BCE on real images (λ_cls) and, when
    weights.clsFake > 0 (not in the paper), the BCE of the edits against their source label;
  - g_loss: the generator's adversarial + attribute (λ_cls) + dual reconstruction (λ_rec) + identity
    reconstruction (λ_idt) terms, the identity term's gradient to the attention mask scaled by
    weights.idtMask (not in the paper: 1 there);
  - check_weights: refuses a weights dict with a key this module does not implement (or one missing),
    so an engine config with a newer loss term is never silently trained or replayed without it.
Each loss returns the total and its parts."""
import torch
import torch.nn.functional as F

PAPER_WEIGHTS = {"gp": 10.0, "cls": 1.0, "rec": 20.0, "idt": 100.0}
# The engine's LossWeights: the paper's four, and two optional ones (absent = the paper's 0 and 1).
OPTIONAL_WEIGHTS = {"clsFake": 0.0, "idtMask": 1.0}


def weight_of(w, k):
    """A weight's value in w: its own, or for an omitted optional one the paper's (OPTIONAL_WEIGHTS)."""
    return w[k] if k in w else OPTIONAL_WEIGHTS[k]


def check_weights(w, where="weights"):
    """→ w, or ValueError naming the first key that is unknown or missing (or a value out of range)."""
    unknown = sorted(set(w) - set(PAPER_WEIGHTS) - set(OPTIONAL_WEIGHTS))
    if unknown:
        raise ValueError(f"{where}: loss weight '{unknown[0]}' is not implemented by the PyTorch twin (it knows "
                         f"{', '.join(list(PAPER_WEIGHTS) + list(OPTIONAL_WEIGHTS))}); training without it would silently "
                         "differ from the engine. Fix: continue this run with the engine (sagan train --resume), or port the term")
    missing = [k for k in PAPER_WEIGHTS if k not in w]
    if missing:
        raise ValueError(f"{where}: loss weight '{missing[0]}' is missing")
    for k, v in w.items():
        if not isinstance(v, (int, float)) or v < 0 or (k == "idtMask" and v > 1):
            raise ValueError(f"{where}: loss weight '{k}' must be a number ≥ 0{' and ≤ 1' if k == 'idtMask' else ''}, got {v!r}")
    return w


def gradient_penalty(D, real, fake, eps):
    e = eps.view(-1, 1, 1, 1)
    xh = (e * real + (1 - e) * fake).requires_grad_(True)
    src, _ = D(xh)
    g, = torch.autograd.grad(src.sum(), xh, create_graph=True)
    # + 1e-12 inside the root, as the engine does (keeps the norm differentiable at 0).
    norm = (g.pow(2).sum(dim=(1, 2, 3)) + 1e-12).sqrt()
    return ((norm - 1) ** 2).mean()


def d_loss(G, D, real, c_g, eps, w=PAPER_WEIGHTS):
    """mean src(fake) − mean src(real) + λ_gp·GP + λ_cls·BCE(cls(real), c_g) + λ_clsFake·BCE(cls(fake), c_g),
    fake = G(real, 1 − c_g). As the engine, D sees reals and edits as one batch (D is per image: no batch
    statistics, so the same values); the edits' BCE teaches the class head that an edit still has its
    source label, so it cannot keep a cue G learns to paint instead of the attribute."""
    check_weights(w)
    n = real.shape[0]
    with torch.no_grad():
        fake, _ = G(real, 1 - c_g)
    src, cls = D(torch.cat([real, fake]))
    adv = src[n:].mean() - src[:n].mean()
    gp = gradient_penalty(D, real, fake, eps)
    bce = F.binary_cross_entropy_with_logits(cls, torch.cat([c_g, c_g]), reduction="none")
    cls_real, cls_fake = bce[:n].mean(), bce[n:].mean()
    loss = adv + w["gp"] * gp + w["cls"] * cls_real + weight_of(w, "clsFake") * cls_fake
    # d_cls is the reals' BCE, as the engine logs it (the edits' term is in d_loss only).
    return loss, {"d_adv": adv, "gp": gp, "d_cls": cls_real, "d_cls_fake": cls_fake}


def identity_term(image, mask, edit, real, s):
    """‖G(x, c_g) − x‖₁ = mean |b·(AMN(x, c_g) − x)|, the mask's share of its gradient scaled by s: b is
    replaced by b·s + stop(b)·(1 − s) — the same value, so only the gradient reaching the mask changes.
    Why (engine's LossWeights.idtMask): the mask never sees c, so this term can be lowered by closing it
    wherever the AMN does not copy x exactly; s = 0 lets the term train only the AMN to copy."""
    if s == 1 or mask is None:
        return (image - real).abs().mean()
    b = mask.detach() if s == 0 else mask * s + mask.detach() * (1 - s)
    return (b * (edit - real)).abs().mean()


def g_loss(G, D, real, c_g, w=PAPER_WEIGHTS):
    """−mean src(G(x,t)) + λ_cls·BCE(cls(G(x,t)), t) + λ_rec‖G(G(x,t), c_g) − x‖₁ + λ_idt‖G(x, c_g) − x‖₁, t = 1 − c_g
    (the identity term as identity_term, with s = weights.idtMask)."""
    check_weights(w)
    t, n = 1 - c_g, real.shape[0]
    # G(x, t) and G(x, c_g) in one forward of the batch twice over, as the engine (G is per image).
    image, mask, edit = G.parts(torch.cat([real, real]), torch.cat([t, c_g]))
    fake = image[:n]
    src_f, cls_f = D(fake)
    adv = -src_f.mean()
    cls = F.binary_cross_entropy_with_logits(cls_f, t)
    rec = (G(fake, c_g)[0] - real).abs().mean()
    idt = identity_term(image[n:], None if mask is None else mask[n:], edit[n:], real, weight_of(w, "idtMask"))
    loss = adv + w["cls"] * cls + w["rec"] * rec + w["idt"] * idt
    mask_mean = mask[:n].detach().mean() if mask is not None else torch.tensor(float("nan"))
    return loss, {"g_adv": adv, "g_cls": cls, "rec": rec, "idt": idt, "mask_mean": mask_mean}
