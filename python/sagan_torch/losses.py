"""SaGAN's losses with the paper's weights, term for term as src/sagan/losses.ts: the WGAN-GP critic
loss (λ_gp = 10) with the attribute BCE on real images, and the generator's adversarial + attribute +
dual reconstruction (20) + identity reconstruction (100) terms. Each returns the total and its parts."""
import torch
import torch.nn.functional as F

PAPER_WEIGHTS = {"gp": 10.0, "cls": 1.0, "rec": 20.0, "idt": 100.0}


def gradient_penalty(D, real, fake, eps):
    e = eps.view(-1, 1, 1, 1)
    xh = (e * real + (1 - e) * fake).requires_grad_(True)
    src, _ = D(xh)
    g, = torch.autograd.grad(src.sum(), xh, create_graph=True)
    # + 1e-12 inside the root, as the engine does (keeps the norm differentiable at 0).
    norm = (g.pow(2).sum(dim=(1, 2, 3)) + 1e-12).sqrt()
    return ((norm - 1) ** 2).mean()


def d_loss(G, D, real, c_g, eps, w=PAPER_WEIGHTS):
    """mean src(fake) − mean src(real) + λ_gp·GP + λ_cls·BCE(cls(real), c_g); fake = G(real, 1 − c_g)."""
    with torch.no_grad():
        fake, _ = G(real, 1 - c_g)
    src_r, cls_r = D(real)
    src_f, _ = D(fake)
    adv = src_f.mean() - src_r.mean()
    gp = gradient_penalty(D, real, fake, eps)
    cls = F.binary_cross_entropy_with_logits(cls_r, c_g)
    loss = adv + w["gp"] * gp + w["cls"] * cls
    return loss, {"d_adv": adv, "gp": gp, "d_cls": cls}


def g_loss(G, D, real, c_g, w=PAPER_WEIGHTS):
    """−mean src(G(x,t)) + λ_cls·BCE(cls(G(x,t)), t) + λ_rec‖G(G(x,t), c_g) − x‖₁ + λ_idt‖G(x, c_g) − x‖₁, t = 1 − c_g."""
    t = 1 - c_g
    fake, mask = G(real, t)
    src_f, cls_f = D(fake)
    adv = -src_f.mean()
    cls = F.binary_cross_entropy_with_logits(cls_f, t)
    rec = (G(fake, c_g)[0] - real).abs().mean()
    idt = (G(real, c_g)[0] - real).abs().mean()
    loss = adv + w["cls"] * cls + w["rec"] * rec + w["idt"] * idt
    mask_mean = mask.detach().mean() if mask is not None else torch.tensor(float("nan"))
    return loss, {"g_adv": adv, "g_cls": cls, "rec": rec, "idt": idt, "mask_mean": mask_mean}
