"""The lesson's PyTorch models, CNN and CNN_SE, plus a minimal safetensors reader/writer
(torch 1.13 has no safetensors support and the `safetensors` package is not installed).

state_dict keys (attribute order): conv1, bn1, [ca1], conv2, bn2, [ca2], conv3, bn3, [ca3],
fc1, fc2 - e.g. conv1.weight, bn1.running_var, bn1.num_batches_tracked, ca1.fc.0.weight.
Imported by tests/ref_*.py and the reverse-check scripts; not a test by itself.
"""
import json
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN = (0.4914, 0.4822, 0.4465)
STD = (0.2470, 0.2435, 0.2616)


class ChannelAttention(nn.Module):
    """Squeeze-and-Excitation: s = sigmoid(W2 relu(W1 avgpool(x))), out = x * s."""

    def __init__(self, in_channels, reduction_ratio=16):
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Sequential(
            nn.Linear(in_channels, in_channels // reduction_ratio, bias=False),
            nn.ReLU(inplace=True),
            nn.Linear(in_channels // reduction_ratio, in_channels, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, x):
        b, c, _, _ = x.shape
        s = self.fc(self.avg_pool(x).view(b, c)).view(b, c, 1, 1)
        return x * s


class CNN(nn.Module):
    def __init__(self, se=False, dropout=0.5, reduction_ratio=16):
        super().__init__()
        self.se = se
        chans = [(3, 32), (32, 64), (64, 128)]
        for i, (ci, co) in enumerate(chans, 1):
            setattr(self, f"conv{i}", nn.Conv2d(ci, co, 3, padding=1))
            setattr(self, f"bn{i}", nn.BatchNorm2d(co))
            if se:
                setattr(self, f"ca{i}", ChannelAttention(co, reduction_ratio=reduction_ratio))
        self.pool = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(128 * 4 * 4, 512)
        self.dropout = nn.Dropout(dropout)
        self.fc2 = nn.Linear(512, 10)

    def block(self, i, x):
        x = F.relu(getattr(self, f"bn{i}")(getattr(self, f"conv{i}")(x)))
        if self.se:
            x = getattr(self, f"ca{i}")(x)
        return x  # before pooling (Grad-CAM target)

    def forward(self, x):
        for i in (1, 2, 3):
            x = self.pool(self.block(i, x))
        x = torch.flatten(x, 1)
        x = self.dropout(F.relu(self.fc1(x)))
        return self.fc2(x)


class CNN_SE(CNN):
    def __init__(self, dropout=0.5, reduction_ratio=16):
        super().__init__(se=True, dropout=dropout, reduction_ratio=reduction_ratio)


def make(kind, dropout=0.5, reduction_ratio=16, num_classes=10):
    """The lesson's model; an N-class model is the lesson's with model.fc2 = nn.Linear(512, N)
    (what an excite file of N classes loads into; its class names are metadata "classes")."""
    m = CNN_SE(dropout, reduction_ratio) if kind == "CNN_SE" else CNN(dropout=dropout)
    if num_classes != 10:
        m.fc2 = nn.Linear(512, num_classes)
    return m


# ---- safetensors ------------------------------------------------------------------------
_DT = {torch.float32: ("F32", "<f4"), torch.float16: ("F16", "<f2"), torch.int64: ("I64", "<i8"),
       torch.float64: ("F64", "<f8"), torch.uint8: ("U8", "u1")}
_NP = {"F32": "<f4", "F16": "<f2", "BF16": None, "I64": "<i8", "F64": "<f8", "I32": "<i4", "U8": "u1"}


def save_safetensors(path, tensors, metadata=None):
    """tensors: ordered dict name -> torch tensor (F32/F16/I64/F64/U8)."""
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, t in tensors.items():
        dt, npdt = _DT[t.dtype]
        b = t.detach().cpu().contiguous().numpy().astype(npdt).tobytes()
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def load_safetensors(path):
    """Returns (dict name -> torch tensor in file order, metadata dict)."""
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    out = {}
    for name, e in header.items():
        a, b = e["data_offsets"]
        buf = data[a:b]
        if e["dtype"] == "BF16":
            u = np.frombuffer(buf, "<u2").astype(np.uint32) << 16
            arr = u.view(np.float32)
        else:
            arr = np.frombuffer(buf, _NP[e["dtype"]])
        arr = arr.reshape(e["shape"]).copy()
        t = torch.from_numpy(arr)
        if t.dtype == torch.float16:
            t = t.float()
        out[name] = t
    return out, meta


def normalize(imgs_u8):
    """(B,3,32,32) uint8 -> normalised float tensor."""
    x = torch.as_tensor(imgs_u8, dtype=torch.float32) / 255.0
    m = torch.tensor(MEAN).view(1, 3, 1, 1)
    s = torch.tensor(STD).view(1, 3, 1, 1)
    return (x - m) / s
