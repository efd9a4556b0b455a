#!/usr/bin/python3
"""ref_layers.py - PyTorch 1.13 references for the per-layer tests (tests/test_layers.c).

Usage: /usr/bin/python3 tests/ref_layers.py OUTDIR

Writes one file per case, OUTDIR/layers_<case>.bin: inputs, parameters, an upstream
gradient `dout`, the forward outputs and the autograd gradients, all float32.
File format (little-endian), read by tests/check.h:
    b"EXREF001"  u32 count
    count x { u32 name_len, name bytes (ASCII), u32 ndim, u32 dims[ndim], f32 data[prod(dims)] }
Seeded, so the output is the same on every run.
"""
import os
import struct
import sys

import torch
import torch.nn.functional as F


def write_case(outdir, case, tensors):
    path = os.path.join(outdir, "layers_%s.bin" % case)
    with open(path + ".tmp", "wb") as f:
        f.write(b"EXREF001" + struct.pack("<I", len(tensors)))
        for name, t in tensors.items():
            t = torch.as_tensor(t).detach().to(torch.float32).contiguous()
            nb = name.encode("ascii")
            f.write(struct.pack("<I", len(nb)) + nb)
            f.write(struct.pack("<I", t.dim()) + struct.pack("<%dI" % t.dim(), *t.shape))
            f.write(t.numpy().astype("<f4").tobytes())
    os.replace(path + ".tmp", path)


def leaf(t):
    return t.clone().requires_grad_(True)


def conv_case(B, C, H, W, OC):
    conv = torch.nn.Conv2d(C, OC, 3, padding=1, bias=True)
    with torch.no_grad():
        conv.bias.uniform_(-0.5, 0.5)
    x = leaf(torch.randn(B, C, H, W))
    out = conv(x)
    dout = torch.randn_like(out)
    out.backward(dout)
    return {"inp": x, "weight": conv.weight, "bias": conv.bias, "dout": dout, "out": out,
            "dinp": x.grad, "dweight": conv.weight.grad, "dbias": conv.bias.grad}


def bn_case(B, C, H, W):
    bn = torch.nn.BatchNorm2d(C, eps=1e-5, momentum=0.1)
    with torch.no_grad():
        bn.weight.copy_(1 + 0.3 * torch.randn(C))
        bn.bias.copy_(0.3 * torch.randn(C))
        bn.running_mean.copy_(0.5 * torch.randn(C))
        bn.running_var.copy_(0.5 + torch.rand(C))
    rm0, rv0 = bn.running_mean.clone(), bn.running_var.clone()
    x = leaf(1.5 * torch.randn(B, C, H, W) + 0.7)
    bn.train()
    out = bn(x)
    dout = torch.randn_like(out)
    out.backward(dout)
    xd = x.detach().double()
    mean = xd.mean((0, 2, 3))
    invstd = 1 / torch.sqrt(xd.var((0, 2, 3), unbiased=False) + 1e-5)
    d = {"inp": x, "gamma": bn.weight, "beta": bn.bias, "running_mean": rm0, "running_var": rv0,
         "dout": dout, "out": out, "mean": mean, "invstd": invstd,
         "running_mean_after": bn.running_mean, "running_var_after": bn.running_var,
         "dinp": x.grad.clone(), "dgamma": bn.weight.grad.clone(), "dbeta": bn.bias.grad.clone()}
    # eval mode with the updated running statistics: forward and input gradient
    bn.eval()
    xe = leaf(x.detach())
    oute = bn(xe)
    oute.backward(dout)
    d["eval_out"] = oute
    d["eval_dinp"] = xe.grad
    return d


def relu_case(n):
    x = leaf(torch.randn(n))
    out = F.relu(x)
    dout = torch.randn_like(out)
    out.backward(dout)
    return {"inp": x, "dout": dout, "out": out, "dinp": x.grad}


def maxpool_case(B, C, H, W, ties):
    x = torch.randn(B, C, H, W)
    if ties:  # few distinct values: many 2x2 windows hold a tie
        x = torch.randint(0, 3, (B, C, H, W)).float()
    x = leaf(x)
    out = F.max_pool2d(x, 2)
    dout = torch.randn_like(out)
    out.backward(dout)
    return {"inp": x, "dout": dout, "out": out, "dinp": x.grad}


def se_case(B, C, H, W, R):
    w1 = leaf(torch.randn(R, C) / C ** 0.5)
    w2 = leaf(torch.randn(C, R) / R ** 0.5)
    x = leaf(torch.randn(B, C, H, W) + 0.3)
    pooled = F.adaptive_avg_pool2d(x, 1).flatten(1)
    hidden = F.relu(F.linear(pooled, w1))
    s = torch.sigmoid(F.linear(hidden, w2))
    out = x * s[:, :, None, None]
    dout = torch.randn_like(out)
    out.backward(dout)
    return {"inp": x, "w1": w1, "w2": w2, "dout": dout, "out": out, "pooled": pooled,
            "hidden": hidden, "s": s, "dinp": x.grad, "dw1": w1.grad, "dw2": w2.grad}


def linear_case(B, IC, OC):
    lin = torch.nn.Linear(IC, OC)
    x = leaf(torch.randn(B, IC))
    out = lin(x)
    dout = torch.randn_like(out)
    out.backward(dout)
    return {"inp": x, "weight": lin.weight, "bias": lin.bias, "dout": dout, "out": out,
            "dinp": x.grad, "dweight": lin.weight.grad, "dbias": lin.bias.grad}


def xent_case(B, K):
    logits = leaf(3 * torch.randn(B, K))
    labels = torch.randint(0, K, (B,))
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    return {"logits": logits, "labels": labels.float(), "loss": loss.reshape(1),
            "probs": torch.softmax(logits.detach(), 1), "dlogits": logits.grad}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: ref_layers.py OUTDIR")
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    torch.manual_seed(1234)
    torch.set_num_threads(1)
    cases = {
        "conv_a": lambda: conv_case(2, 3, 6, 6, 5),
        "conv_b": lambda: conv_case(3, 8, 5, 7, 4),
        "bn_a": lambda: bn_case(3, 4, 5, 5),
        "bn_b": lambda: bn_case(2, 8, 8, 8),
        "relu": lambda: relu_case(300),
        "maxpool_a": lambda: maxpool_case(2, 3, 8, 8, False),
        "maxpool_odd": lambda: maxpool_case(3, 4, 7, 5, False),
        "maxpool_ties": lambda: maxpool_case(2, 5, 6, 6, True),
        "se_c32": lambda: se_case(2, 32, 4, 4, 2),
        "se_c16": lambda: se_case(3, 16, 5, 5, 1),
        "linear": lambda: linear_case(3, 20, 7),
        "xent": lambda: xent_case(4, 10),
    }
    for name, make in cases.items():
        write_case(outdir, name, make())
    print("ref_layers: %d cases in %s" % (len(cases), outdir))


if __name__ == "__main__":
    main()
