# bench_torch.py - PyTorch peer for `make bench`: the lesson's CNN and CNN_SE (batch 64),
# training (forward + backward + Adam, dropout on), inference at batch 64 and one image.
# Prints one JSON object per line, like bench/bench_model.c.
#   /usr/bin/python3 bench/bench_torch.py SYSTEM THREADS [RUNS]
# Which BLAS it uses is the dynamic linker's choice (LD_LIBRARY_PATH), see bench/run.mjs.
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class ChannelAttention(nn.Module):
    def __init__(self, c, reduction=16):
        super().__init__()
        self.fc = nn.Sequential(nn.Linear(c, c // reduction, bias=False), nn.ReLU(),
                                nn.Linear(c // reduction, c, bias=False))

    def forward(self, x):
        s = torch.sigmoid(self.fc(x.mean(dim=(2, 3))))
        return x * s[:, :, None, None]


class Net(nn.Module):
    def __init__(self, se):
        super().__init__()
        self.se = se
        self.conv1, self.bn1 = nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32)
        self.conv2, self.bn2 = nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64)
        self.conv3, self.bn3 = nn.Conv2d(64, 128, 3, padding=1), nn.BatchNorm2d(128)
        if se:
            self.ca1, self.ca2, self.ca3 = ChannelAttention(32), ChannelAttention(64), ChannelAttention(128)
        self.fc1 = nn.Linear(2048, 512)
        self.dropout = nn.Dropout(0.5)
        self.fc2 = nn.Linear(512, 10)

    def forward(self, x):
        for i in (1, 2, 3):
            x = F.relu(getattr(self, f"bn{i}")(getattr(self, f"conv{i}")(x)))
            if self.se:
                x = getattr(self, f"ca{i}")(x)
            x = F.max_pool2d(x, 2)
        x = self.dropout(F.relu(self.fc1(x.flatten(1))))
        return self.fc2(x)


def timed(fn, images, seconds, runs):
    fn()
    fn()
    t0 = time.perf_counter()
    fn()
    reps = int(seconds / max(time.perf_counter() - t0, 1e-6)) + 1
    out, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(reps):
            fn()
        out.append(round(images * reps / (time.perf_counter() - t0), 2))
        cpu.append(round(images * reps / (time.process_time() - c0), 2))
    return out, cpu


def main():
    system = sys.argv[1] if len(sys.argv) > 1 else "pytorch"
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    x = torch.randn(64, 3, 32, 32)
    y = torch.randint(0, 10, (64,))
    for se, name in ((False, "CNN"), (True, "CNN_SE")):
        net = Net(se)
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)

        def train():
            net.train()
            opt.zero_grad()
            F.cross_entropy(net(x), y).backward()
            opt.step()

        def infer64():
            with torch.no_grad():
                net(x)

        def infer1():
            with torch.no_grad():
                net(x[:1])

        net.train()
        rows = [("train", 64, timed(train, 64, 0.25, runs))]
        net.eval()
        rows.append(("infer64", 64, timed(infer64, 64, 0.2, runs)))
        rows.append(("infer1", 1, timed(infer1, 1, 0.1, runs)))
        for mode, _, (v, cpu) in rows:
            o = {"system": system, "model": name, "mode": mode, "threads": threads, "img_s": v}
            if threads == 1:  # images per CPU second (process time), see bench/bench_model.c
                o["img_s_cpu"] = cpu
            print(json.dumps(o), flush=True)


if __name__ == "__main__":
    main()
