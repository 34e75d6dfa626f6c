"""PyTorch CPU reference for bench/throughput.ts: simple-cnn, 28x28x1, batch 64, Adam, random data.

Prints one JSON line: {"samplesPerSecond", "msPerStep", "cpuMsPerStep", "threads", "torch"}.
Usage: /usr/bin/python3 bench/torchThroughput.py [--steps N] [--warmup N] [--threads N]
(--threads 0 keeps PyTorch's default thread count).
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
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = simple_cnn()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
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
