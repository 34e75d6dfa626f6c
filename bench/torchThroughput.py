"""PyTorch CPU reference for bench/throughput.ts: simple-cnn, 28x28x1, batch 64, Adam, random data.

Prints one JSON line: {"samplesPerSecond", "msPerStep", "cpuMsPerStep", "threads", "torch"}.
Usage: /usr/bin/python3 bench/torchThroughput.py [--steps N] [--warmup N] [--threads N] [--data FILE]
(--threads 0 keeps PyTorch's default thread count; --data reads the batches bench/throughput.ts wrote:
int32 count N, float32 pixels N x 784, int32 labels N, so both sides train on the same images).
"""
import argparse
import json
import os
import time

import torch
from torch import nn


def simple_cnn() -> nn.Module:
    # The same layers as our simple-cnn preset: valid 3x3 convolutions, 2x2 max-pools, dropout 0.5.
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 5 * 5, 128), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(128, 10),  # CrossEntropyLoss applies the softmax
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--data", default="")
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = simple_cnn()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    if args.data:
        with open(args.data, "rb") as f:
            raw = bytearray(f.read())
        n = int.from_bytes(raw[0:4], "little", signed=True)
        pixels = torch.frombuffer(raw, dtype=torch.float32, count=n * 784, offset=4).reshape(n, 1, 28, 28)
        labels = torch.frombuffer(raw, dtype=torch.int32, count=n, offset=4 + n * 784 * 4).long()
        batches = [(pixels[i:i + args.batch], labels[i:i + args.batch]) for i in range(0, n, args.batch)]
    else:
        batches = [(torch.rand(args.batch, 1, 28, 28), torch.randint(0, 10, (args.batch,))) for _ in range(4)]

    def step(i: int) -> float:
        x, y = batches[i % len(batches)]
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    model.train()
    for i in range(args.warmup):
        step(i)
    start = time.perf_counter()
    cpu_start = time.process_time()
    for i in range(args.steps):
        step(i)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    ms = elapsed * 1000 / args.steps
    print(json.dumps({
        "samplesPerSecond": args.batch * args.steps / elapsed,
        "msPerStep": ms,
        "cpuMsPerStep": cpu * 1000 / args.steps,
        "threads": torch.get_num_threads(),
        "cpuCount": os.cpu_count(),
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
