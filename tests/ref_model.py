#!/usr/bin/python3
"""ref_model.py - PyTorch 1.13 references for the end-to-end model test (tests/test_model.c).

Usage: /usr/bin/python3 tests/ref_model.py OUTDIR

For CNN and CNN_SE (lesson classes from tests/lesson_models.py), seeded:
  OUTDIR/model_<KIND>_init.safetensors   initial state dict (written by PyTorch's side)
  OUTDIR/model_<KIND>_final.safetensors  state dict after 20 Adam steps in train mode, dropout 0
  OUTDIR/model_<KIND>_final64.safetensors  the same 20 steps run in float64 (F64 tensors)
  OUTDIR/model_<KIND>_ref.safetensors    losses (20, F64) and `losses64` of the float64 run, the
                                         Adam settings, the gradients of steps 1 and 2
                                         (`grad1.<name>`, `grad2.<name>`), the parameters after
                                         step 2 (`step2.<name>`),
                                         and, computed with the final float32 weights: eval
                                         batch `eval_x` (8,3,32,32) with eval-mode
                                         `eval_logits`, Grad-CAM `cam<b>` (class `cam_class`,
                                         image 0) per block, SE scales `se_s<b>` of image 0
  OUTDIR/model_batches.safetensors       the 20 training batches: x (20,16,3,32,32), y (20,16)
  OUTDIR/plateau.safetensors             ReduceLROnPlateau schedules for fixed metric sequences
CNN runs Adam without weight decay, CNN_SE with weight_decay 5e-4 (both code paths covered).

Conditioning: 20 Adam steps at lr 1e-3 on batches of 16 are very sensitive to rounding. Adam's
update lr * m / (sqrt(v) + eps) is ~lr * sign(g) in the first steps, so every parameter whose
gradient is near zero flips direction under a tiny change of g; with 1.2M parameters some
always do. Measured with PyTorch alone: multiplying the initial weights by (1 + 1e-6 N(0,1))
moves the loss at step 20 by 3e-3 to 2e-2 (seeds 1000-1003, both models, also at lr 1e-4),
and PyTorch's float32 and float64 runs differ by more than 1e-4 for half the CNN_SE seeds
tried (1001, 1004-1006: up to 1e-2). A 1e-4 loss tolerance over 20 steps therefore holds only
on trajectories without such a flip; the seeds below give one for the current kernels (C vs
PyTorch <= 1e-6 over all 20 steps). This script refuses a seed whose float32 and float64 runs
differ by more than 1e-5. The checks that do not depend on luck are in test_model.c: step-1
gradients, Adam fed PyTorch's gradients (bit-exact), and eval/Grad-CAM/SE with equal weights.
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lesson_models as L  # noqa: E402

STEPS, B, EVAL_B = 20, 16, 8
ADAM = {"CNN": dict(lr=1e-3, weight_decay=0.0), "CNN_SE": dict(lr=1e-3, weight_decay=5e-4)}
CAM_CLASS = 3
SEEDS = {"CNN": 1001, "CNN_SE": 1002}
MAX_F32_F64_LOSS = 1e-5


def batches():
    """Images with a class-dependent pattern, so the loss actually falls over 20 steps."""
    g = torch.Generator().manual_seed(7)
    templates = torch.randn(10, 3, 32, 32, generator=g)
    y = torch.randint(0, 10, (STEPS, B), generator=g)
    x = torch.randn(STEPS, B, 3, 32, 32, generator=g) + 0.7 * templates[y]
    ex_y = torch.randint(0, 10, (EVAL_B,), generator=g)
    ex = torch.randn(EVAL_B, 3, 32, 32, generator=g) + 0.7 * templates[ex_y]
    return x, y, ex


def gradcam(model, x, cls):
    """Grad-CAM per block on image x (1,3,32,32), eval mode; A = block output before pooling."""
    acts = []
    h = x
    for i in (1, 2, 3):
        a = model.block(i, h)
        a.retain_grad()
        acts.append(a)
        h = model.pool(a)
    h = torch.flatten(h, 1)
    logits = model.fc2(model.dropout(F.relu(model.fc1(h))))
    logits[0, cls].backward()
    cams = []
    for a in acts:
        alpha = a.grad.mean(dim=(2, 3), keepdim=True)
        cams.append(F.relu((alpha * a).sum(1))[0].detach())
    return cams


def se_scales(model, x):
    out, h = [], x
    for i in (1, 2, 3):
        ca = getattr(model, "ca%d" % i)
        a = F.relu(getattr(model, "bn%d" % i)(getattr(model, "conv%d" % i)(h)))
        b, c = a.shape[:2]
        out.append(ca.fc(ca.avg_pool(a).view(b, c))[0].detach())
        h = model.pool(ca(a))
    return out


def train(model, kind, x, y):
    """20 Adam steps in train mode; returns the losses and, for the Adam check, the gradients
    of steps 1 and 2 (grad1.<name>, grad2.<name>) and the parameters after step 2 (step2.<name>)."""
    model.train()
    opt = torch.optim.Adam(model.parameters(), foreach=False, **ADAM[kind])
    losses, grads = [], {}
    for s in range(STEPS):
        opt.zero_grad()
        loss = F.cross_entropy(model(x[s]), y[s])
        loss.backward()
        if s < 2:
            grads.update({"grad%d.%s" % (s + 1, n): p.grad.detach().clone() for n, p in model.named_parameters()})
        opt.step()
        if s == 1:
            grads.update({"step2." + n: p.detach().clone() for n, p in model.named_parameters()})
        losses.append(loss.item())
    return losses, grads


def run(kind, x, y, ex, outdir):
    torch.manual_seed(SEEDS[kind])
    model = L.make(kind, dropout=0.0)
    init = {k: v.clone() for k, v in model.state_dict().items()}
    L.save_safetensors(os.path.join(outdir, "model_%s_init.safetensors" % kind), init,
                       {"format": "pt", "model": kind})
    losses, grads = train(model, kind, x, y)
    L.save_safetensors(os.path.join(outdir, "model_%s_final.safetensors" % kind), model.state_dict(),
                       {"format": "pt", "model": kind})
    m64 = L.make(kind, dropout=0.0).double()
    m64.load_state_dict(init)
    losses64, _ = train(m64, kind, x.double(), y)
    sd64 = {k: (v.double() if v.is_floating_point() else v) for k, v in m64.state_dict().items()}
    L.save_safetensors(os.path.join(outdir, "model_%s_final64.safetensors" % kind), sd64)
    cond = max(abs(a - b) for a, b in zip(losses, losses64))
    if cond > MAX_F32_F64_LOSS:
        sys.exit("ref_model.py: %s float32 and float64 losses differ by %.2e > %.0e: the reference "
                 "trajectory is chaotic, pick another seed" % (kind, cond, MAX_F32_F64_LOSS))
    model.eval()
    with torch.no_grad():
        logits = model(ex)
    ref = {
        "losses": torch.tensor(losses, dtype=torch.float64),
        "losses64": torch.tensor(losses64, dtype=torch.float64),
        "lr": torch.tensor([ADAM[kind]["lr"]], dtype=torch.float64),
        "weight_decay": torch.tensor([ADAM[kind]["weight_decay"]], dtype=torch.float64),
        "eval_x": ex,
        "eval_logits": logits,
        "cam_class": torch.tensor([CAM_CLASS], dtype=torch.int64),
    }
    for i, c in enumerate(gradcam(model, ex[:1], CAM_CLASS)):
        ref["cam%d" % i] = c
    if kind == "CNN_SE":
        with torch.no_grad():
            for i, s in enumerate(se_scales(model, ex[:1])):
                ref["se_s%d" % i] = s
    ref.update(grads)
    L.save_safetensors(os.path.join(outdir, "model_%s_ref.safetensors" % kind), ref)
    print("%-6s losses %s; float32 vs float64 max |diff| %.2e" %
          (kind, " ".join("%.4f" % v for v in losses[::4]), cond))


def plateau(outdir):
    """lr after each scheduler.step(metric), for two settings and one metric sequence."""
    metrics = [2.0, 1.8, 1.7, 1.7, 1.69995, 1.7, 1.71, 1.65, 1.64999, 1.66, 1.65, 1.7, 1.6498,
               1.6499, 1.66, 1.67, 1.68, 1.60, 1.61, 1.62, 1.63, 1.64, 1.65, 1.5, 1.5, 1.5, 1.5,
               1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5]
    out = {"metrics": torch.tensor(metrics, dtype=torch.float64)}
    settings = {"default": dict(factor=0.5, patience=3, threshold=1e-4, min_lr=0.0),
                "other": dict(factor=0.1, patience=1, threshold=1e-2, min_lr=2e-6)}
    for name, kw in settings.items():
        p = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.Adam([p], lr=1e-3)
        sch = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", **kw)
        lrs = []
        for v in metrics:
            sch.step(v)
            lrs.append(opt.param_groups[0]["lr"])
        out["lr_" + name] = torch.tensor(lrs, dtype=torch.float64)
        out["cfg_" + name] = torch.tensor([kw["factor"], kw["patience"], kw["threshold"], kw["min_lr"]],
                                          dtype=torch.float64)
    L.save_safetensors(os.path.join(outdir, "plateau.safetensors"), out)


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else "build/ref"
    os.makedirs(outdir, exist_ok=True)
    torch.set_num_threads(1)
    x, y, ex = batches()
    L.save_safetensors(os.path.join(outdir, "model_batches.safetensors"), {"x": x, "y": y})
    for kind in ("CNN", "CNN_SE"):
        run(kind, x, y, ex, outdir)
    plateau(outdir)


if __name__ == "__main__":
    main()
