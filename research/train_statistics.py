"""Trains the statistics classifier's dense network from examples written by
research/statistics-examples.ts, on a GPU through CuPy where there is one, else with NumPy.

The network, loss and scores are those of `vgrade train classifier --inputs statistics`
(src/models/classifier/network.ts, train.ts, metrics.ts): standardised statistics, hidden dense
layers with leaky ReLU (0.2), a 25-way class head (cross-entropy over single examples only; with
`--combination-targets soft|dominant` over the combinations too) and an 8-way amount head
(3 x sigmoid, MSE over all examples, weight 0.5), L2 on the weights, Adam.
Validation picks each configuration's best epoch by 1 - exact + 1 - doubles diagnosed; the test
split and the held-out frames are only reported.

    python3 research/train_statistics.py --examples DIR --out DIR \
        --configs 256x2,512x3 [--epochs 40] [--seeds 1] [--budget-seconds 420] [--stop-epoch N] [--resume] \
        [--score-every-epoch]

`--score-every-epoch` also scores the test split and the held-out frames after every epoch, in each
epoch's record (a report only: validation alone still picks the best epoch).

After every epoch, each model's state (weights, Adam's moments, the shuffle's state, the best epoch
so far) goes to `NAME.checkpoint.npz` in --out; `--resume` continues from it, with the same options.
With dropout on a GPU the masks' generator is not restored, so a resumed run there is not bit-for-bit
the run it continues.

Writes, in --out, for each configuration and seed, `NAME.weights.bin` (float32, little-endian, in
the order of `NAME.json`'s `weights`) and `NAME.json` (shapes, the standardisation's place in the
file, the configuration and the scores), and `summary.json`. research/import-statistics.ts turns
one into a vgrade classifier folder.

    python3 research/train_statistics.py --check-gradients   # compares the gradients with differences
"""
import argparse
import glob
import json
import math
import os
import sys
import time

import numpy as np

try:
    import cupy as xp  # type: ignore

    xp.cuda.runtime.getDeviceCount()
    DEVICE = "gpu"
except Exception:  # no CuPy, or no GPU: the same code on the CPU
    xp = np
    DEVICE = "cpu"

NUM_CLASSES = 25
NUM_FAMILIES = 8
MAX_AMOUNT = 3.0
SLOPE = 0.2
AMOUNT_WEIGHT = 0.5
STD_FLOOR = 0.01
THRESHOLD = 0.5
LABELS = ["none"] + [  # the order of src/detune/families.ts (CLASS_LABELS)
    f"{family}-{level}"
    for family in [
        "green", "blue", "orange", "black-high", "black-low", "white-low",
        "contrast-high", "saturation-low",
    ]
    for level in (1, 2, 3)
]


def read_set(directory, name):
    features = np.fromfile(os.path.join(directory, f"{name}.features.f16"), dtype="<f2").astype(np.float32)
    amounts = np.fromfile(os.path.join(directory, f"{name}.amounts.f16"), dtype="<f2").astype(np.float32)
    labels = np.fromfile(os.path.join(directory, f"{name}.labels.i8"), dtype=np.int8).astype(np.int64)
    n = labels.shape[0]
    return features.reshape(n, -1), labels, amounts.reshape(n, NUM_FAMILIES)


def read_train(directory):
    parts = [read_set(directory, os.path.basename(p)[: -len(".labels.i8")])
             for p in sorted(glob.glob(os.path.join(directory, "train-*.labels.i8")))]
    if not parts:
        sys.exit(f"no train-*.labels.i8 in {directory}")
    return tuple(np.concatenate([p[k] for p in parts]) for k in range(3))


def combination_targets(labels, amounts, kind):
    """`--combination-targets`: a class target for each combination, which single examples alone
    never give. `soft`: each family read at 0.5 or more (the amount head's threshold) gets an equal
    share, spread over the two levels its amount lies between. `dominant`: the family with the
    largest amount alone, at its nearest level, so that the head names the worst problem and stays
    as sure as on a single. Either way a combination of amounts all below 0.5 is `none`, and rows of
    single examples are zero (their one-hot label is taken as before)."""
    n = labels.shape[0]
    combination = labels < 0
    present = (amounts >= THRESHOLD) & combination[:, None]
    targets = xp.zeros((n, NUM_CLASSES), dtype=amounts.dtype)
    if kind == "dominant":
        rows = xp.arange(n)
        top = amounts.argmax(axis=1)
        level = xp.clip(xp.rint(amounts[rows, top]), 1, 3).astype(xp.int64)
        targets[rows, 1 + 3 * top + level - 1] = present[rows, top]
    else:
        share = present / xp.maximum(1, present.sum(axis=1, keepdims=True))
        clipped = xp.clip(amounts, 1.0, 3.0)
        lower = xp.floor(clipped)
        upper_part = clipped - lower  # 0 at a whole level
        for f in range(NUM_FAMILIES):
            for level in (1, 2, 3):
                at_lower = (lower[:, f] == level) * (1 - upper_part[:, f])
                at_upper = (lower[:, f] == level - 1) * upper_part[:, f]
                targets[:, 1 + 3 * f + level - 1] = share[:, f] * (at_lower + at_upper)
    targets[:, 0] = combination & (present.sum(axis=1) == 0)
    return targets


class Network:
    """Weights as a list: (w, b) per hidden layer, then the class head, then the amount head."""

    def __init__(self, inputs, hidden, depth, rng):
        self.params = []
        width = inputs
        for _ in range(depth):
            self.params += [rng.normal(0, math.sqrt(2) / math.sqrt(width), (width, hidden)), np.zeros(hidden)]
            width = hidden
        self.params += [rng.normal(0, 1 / math.sqrt(width), (width, NUM_CLASSES)), np.zeros(NUM_CLASSES)]
        self.params += [rng.normal(0, 1 / math.sqrt(width), (width, NUM_FAMILIES)), np.zeros(NUM_FAMILIES)]
        self.params = [xp.asarray(p, dtype=xp.float32) for p in self.params]
        self.depth = depth

    def forward(self, x, dropout=0.0):
        cache = []
        h = x
        for k in range(self.depth):
            w, b = self.params[2 * k], self.params[2 * k + 1]
            z = h @ w + b
            a = xp.where(z > 0, z, SLOPE * z)
            mask = None
            if dropout > 0:
                mask = (xp.random.random_sample(a.shape) >= dropout).astype(xp.float32) / (1 - dropout)
                a = a * mask
            cache.append((h, z, mask))
            h = a
        wc, bc, wa, ba = self.params[2 * self.depth:]
        logits = h @ wc + bc
        sig = 1 / (1 + xp.exp(-(h @ wa + ba)))
        return logits, MAX_AMOUNT * sig, (cache, h, sig)

    def loss_and_gradients(self, x, labels, amounts, weight_decay, dropout=0.0,
                           amount_weight=AMOUNT_WEIGHT, none_weight=1.0, combinations="none"):
        n = x.shape[0]
        logits, predicted, (cache, h, sig) = self.forward(x, dropout)
        single = labels >= 0
        count = max(1, int(single.sum()))
        targets = None if combinations == "none" else combination_targets(labels, amounts, combinations)
        if targets is not None:
            count = n
        shifted = logits - logits.max(axis=1, keepdims=True)
        probs = xp.exp(shifted)
        probs /= probs.sum(axis=1, keepdims=True)
        rows = xp.arange(n)
        safe = xp.where(single, labels, 0)
        # none_weight scales the clean examples' cross-entropy (label 0), 1 as vgrade train.
        weight = single * xp.where(labels == 0, none_weight, 1.0)
        ce = -(xp.log(xp.maximum(probs[rows, safe], 1e-12)) * weight).sum() / count
        if targets is not None:
            ce = ce - (targets * xp.log(xp.maximum(probs, 1e-12))).sum() / count
        mse = ((predicted - amounts) ** 2).mean()
        weights = [self.params[2 * k] for k in range(self.depth + 2)]
        penalty = sum((w * w).sum() for w in weights)
        loss = ce + amount_weight * mse + weight_decay * penalty

        dlogits = probs.copy()
        dlogits[rows, safe] -= 1
        dlogits *= weight[:, None] / count
        if targets is not None:
            dlogits += (probs * targets.sum(axis=1, keepdims=True) - targets) / count
        dpred = amount_weight * 2 * (predicted - amounts) / predicted.size
        du = dpred * MAX_AMOUNT * sig * (1 - sig)
        wc, _, wa, _ = self.params[2 * self.depth:]
        grads = [None] * len(self.params)
        grads[2 * self.depth] = h.T @ dlogits + 2 * weight_decay * wc
        grads[2 * self.depth + 1] = dlogits.sum(axis=0)
        grads[2 * self.depth + 2] = h.T @ du + 2 * weight_decay * wa
        grads[2 * self.depth + 3] = du.sum(axis=0)
        da = dlogits @ wc.T + du @ wa.T
        for k in reversed(range(self.depth)):
            inp, z, mask = cache[k]
            if mask is not None:
                da = da * mask
            dz = da * xp.where(z > 0, 1.0, SLOPE).astype(xp.float32)
            w = self.params[2 * k]
            grads[2 * k] = inp.T @ dz + 2 * weight_decay * w
            grads[2 * k + 1] = dz.sum(axis=0)
            da = dz @ w.T
        return loss, ce, mse, grads


class Adam:
    def __init__(self, params, rate):
        self.rate = rate
        self.m = [xp.zeros_like(p) for p in params]
        self.v = [xp.zeros_like(p) for p in params]
        self.t = 0

    def step(self, params, grads, rate):
        self.t += 1
        c1 = 1 - 0.9 ** self.t
        c2 = 1 - 0.999 ** self.t
        for p, g, m, v in zip(params, grads, self.m, self.v):
            m *= 0.9
            m += 0.1 * g
            v *= 0.999
            v += 0.001 * g * g
            p -= rate * (m / c1) / (xp.sqrt(v / c2) + 1e-7)


def is_neighbour(truth, predicted):
    if truth == predicted:
        return True
    def parse(label):
        if label == "none":
            return None, 0
        family, level = label.rsplit("-", 1)
        return family, int(level)
    tf_, tl = parse(LABELS[truth])
    pf, pl = parse(LABELS[predicted])
    if tf_ is None:
        return pl == 1
    if pf is None:
        return tl == 1
    return tf_ == pf and abs(tl - pl) == 1


def scores(network, features, labels, amounts):
    """Exact and class-or-neighbour on singles, doubles fully diagnosed, as metrics.ts scores them."""
    probs, predicted = [], []
    for i in range(0, features.shape[0], 4096):
        logits, pred, _ = network.forward(features[i:i + 4096])
        probs.append(xp.asnumpy(logits) if DEVICE == "gpu" else logits)
        predicted.append(xp.asnumpy(pred) if DEVICE == "gpu" else pred)
    top = np.concatenate(probs).argmax(axis=1)
    predicted = np.concatenate(predicted)
    labels = np.asarray(labels)
    amounts = np.asarray(amounts)
    single = labels >= 0
    exact = float((top[single] == labels[single]).mean()) if single.any() else 0.0
    near = float(np.mean([is_neighbour(t, p) for t, p in zip(labels[single], top[single])])) if single.any() else 0.0
    doubles = ~single
    diagnosed = float(((predicted[doubles] > THRESHOLD) == (amounts[doubles] > THRESHOLD)).all(axis=1).mean()) \
        if doubles.any() else 0.0
    return {"exact": exact, "exactOrNeighbour": near, "doublesDiagnosed": diagnosed,
            "loss": 1 - exact + 1 - diagnosed}


def train_one(name, hidden, depth, seed, args, data, mean, std):
    started = time.time()
    rng = np.random.default_rng(seed)
    xp.random.seed(seed)  # dropout's masks
    network = Network(data["train"][0].shape[1], hidden, depth, rng)
    optimiser = Adam(network.params, args.rate)
    x, labels, amounts = data["train"]
    n = x.shape[0]
    steps_per_epoch = n // args.batch
    total = steps_per_epoch * args.epochs
    best = None
    history = []
    step = 0
    first_epoch = 0
    checkpoint = os.path.join(args.out, f"{name}.checkpoint.npz")
    if args.resume and os.path.exists(checkpoint):
        first_epoch, step, history, best = load_checkpoint(checkpoint, network, optimiser, rng,
                                                           run_options(args, n))
        print(json.dumps({"model": name, "resumedAfterEpoch": first_epoch}), flush=True)
    for epoch in range(first_epoch, args.epochs):
        order = xp.asarray(rng.permutation(n))
        for s in range(steps_per_epoch):
            idx = order[s * args.batch:(s + 1) * args.batch]
            # Cosine decay to a tenth of the rate over the run.
            rate = args.rate * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / total)))
            loss, ce, mse, grads = network.loss_and_gradients(
                x[idx], labels[idx], amounts[idx], args.weight_decay, args.dropout,
                args.amount_weight, args.none_weight, args.combination_targets)
            optimiser.step(network.params, grads, rate)
            step += 1
        val = scores(network, *data["validation"])
        record = {"epoch": epoch + 1, "step": step, "trainLoss": float(loss), "trainCrossEntropy": float(ce),
                  "trainAmountMse": float(mse), **{f"validation_{k}": v for k, v in val.items()},
                  "seconds": round(time.time() - started, 1)}
        if args.score_every_epoch:
            for other in ("test", "held-out"):
                if other in data:
                    record.update({f"{other}_{k}": v for k, v in scores(network, *data[other]).items()})
        history.append(record)
        print(json.dumps({"model": name, **record}), flush=True)
        if best is None or val["loss"] < best["validation"]["loss"]:
            best = {"epoch": epoch + 1, "step": step, "validation": val,
                    "params": [p.copy() for p in network.params]}
        save_checkpoint(checkpoint, epoch + 1, step, history, best, network, optimiser, rng,
                        run_options(args, n))
        if time.time() - started > args.budget_seconds or epoch + 1 == args.stop_epoch:
            break
    final = Network.__new__(Network)
    final.params, final.depth = best["params"], depth
    report = {k: scores(final, *data[k]) for k in ("validation", "test", "held-out") if k in data}
    return final, {"name": name, "hidden": hidden, "depth": depth, "seed": seed, "bestEpoch": best["epoch"],
                   "bestStep": best["step"], "epochs": len(history), "scores": report, "history": history,
                   "seconds": round(time.time() - started, 1), "device": DEVICE,
                   "options": {k: v for k, v in run_options(args, n).items() if k != "epochs"}}


def host(array):
    return xp.asnumpy(array) if DEVICE == "gpu" else array


def run_options(args, examples):
    """What a resumed run must share with the run it continues."""
    options = {"epochs": args.epochs, "batch": args.batch, "rate": args.rate, "weightDecay": args.weight_decay,
               "dropout": args.dropout, "amountWeight": args.amount_weight, "examples": int(examples)}
    # Only when set, so that checkpoints written before the option existed still resume.
    if args.none_weight != 1:
        options["noneWeight"] = args.none_weight
    if args.combination_targets != "none":
        options["combinationTargets"] = args.combination_targets
    return options


def save_checkpoint(path, epoch, step, history, best, network, optimiser, rng, options):
    """Everything the next epoch needs: weights, Adam's moments, the shuffle's state, the best so far.
    Written to a temporary file and renamed, so a run killed while writing keeps the last one."""
    arrays = {}
    for i, p in enumerate(network.params):
        arrays[f"param{i}"] = host(p)
        arrays[f"m{i}"] = host(optimiser.m[i])
        arrays[f"v{i}"] = host(optimiser.v[i])
        arrays[f"best{i}"] = host(best["params"][i])
    state = {"epoch": epoch, "step": step, "adamSteps": optimiser.t, "history": history,
             "best": {k: v for k, v in best.items() if k != "params"}, "rng": rng.bit_generator.state,
             "options": options}
    arrays["state"] = np.frombuffer(json.dumps(state).encode(), dtype=np.uint8)
    temporary = path + ".tmp.npz"
    np.savez(temporary, **arrays)
    os.replace(temporary, path)


def load_checkpoint(path, network, optimiser, rng, options):
    with np.load(path) as saved:
        state = json.loads(saved["state"].tobytes().decode())
        if state.get("options") != options:
            sys.exit(f"{path} was written by a run with other options ({state.get('options')}, "
                     f"this run: {options}); remove it, or resume with the same options")
        count = len(network.params)
        network.params[:] = [xp.asarray(saved[f"param{i}"]) for i in range(count)]
        optimiser.m = [xp.asarray(saved[f"m{i}"]) for i in range(count)]
        optimiser.v = [xp.asarray(saved[f"v{i}"]) for i in range(count)]
        best = {**state["best"], "params": [xp.asarray(saved[f"best{i}"]) for i in range(count)]}
    optimiser.t = state["adamSteps"]
    rng.bit_generator.state = state["rng"]
    return state["epoch"], state["step"], state["history"], best


def save(directory, network, info, mean, std):
    arrays = [("s/norm/mean", np.asarray(mean)), ("s/norm/std", np.asarray(std))]
    for k in range(network.depth):
        arrays += [(f"s/h{k + 1}/w", network.params[2 * k]), (f"s/h{k + 1}/b", network.params[2 * k + 1])]
    names = ["c/classes/w", "c/classes/b", "c/amounts/w", "c/amounts/b"]
    arrays += list(zip(names, network.params[2 * network.depth:]))
    on_host = [(n, np.asarray(host(a), dtype="<f4")) for n, a in arrays]
    with open(os.path.join(directory, f"{info['name']}.weights.bin"), "wb") as f:
        for _, a in on_host:
            f.write(a.tobytes())
    info = {k: v for k, v in info.items() if k != "history"}
    info["weights"] = [{"name": n, "shape": list(a.shape)} for n, a in on_host]
    with open(os.path.join(directory, f"{info['name']}.json"), "w") as f:
        json.dump(info, f, indent=1)


def check_gradients():
    """Central differences against the analytic gradients on a tiny network, in float64."""
    global xp
    xp = np
    rng = np.random.default_rng(3)
    net = Network(7, 6, 2, rng)
    net.params = [p.astype(np.float64) for p in net.params]
    x = rng.normal(size=(12, 7))
    labels = np.array([3, -1, 0, 24, 5, -1, 7, 8, 9, -1, 1, 2])
    amounts = rng.uniform(0, 3, size=(12, NUM_FAMILIES))
    none_weight = 3.0  # checks the clean examples' weighting too
    worst = 0.0
    for combinations in ("none", "soft", "dominant"):  # and the combinations' class targets
        loss = lambda: net.loss_and_gradients(x, labels, amounts, 1e-2, none_weight=none_weight,
                                              combinations=combinations)
        grads = loss()[3]
        for p, g in zip(net.params, grads):
            flat, gflat = p.reshape(-1), g.reshape(-1)
            for i in range(0, flat.size, max(1, flat.size // 7)):
                keep = flat[i]
                flat[i] = keep + 1e-6
                up = loss()[0]
                flat[i] = keep - 1e-6
                down = loss()[0]
                flat[i] = keep
                numeric = (up - down) / 2e-6
                worst = max(worst, abs(numeric - gflat[i]) / max(1e-6, abs(numeric) + abs(gflat[i])))
    print(f"largest relative difference between analytic and numeric gradients: {worst:.2e}")
    return 0 if worst < 1e-5 else 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples")
    parser.add_argument("--out")
    parser.add_argument("--configs", default="256x2", help="HIDDENxDEPTH, comma-separated")
    parser.add_argument("--seeds", default="1")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--rate", type=float, default=2e-3)
    parser.add_argument("--weight-decay", type=float, default=1e-4)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--amount-weight", type=float, default=AMOUNT_WEIGHT,
                        help="weight of the amounts' MSE in the loss (vgrade train's: 0.5)")
    parser.add_argument("--none-weight", type=float, default=1.0,
                        help="weight of the clean examples' cross-entropy (label none; vgrade train's: 1)")
    parser.add_argument("--combination-targets", choices=("none", "soft", "dominant"), default="none",
                        help="train the class head on combinations too: soft targets over their families, "
                             "or the dominant family alone (none: singles only, as vgrade train)")
    parser.add_argument("--budget-seconds", type=float, default=1e9, help="per model")
    parser.add_argument("--stop-epoch", type=int, default=0,
                        help="stop after this epoch, the rate's schedule still spanning --epochs")
    parser.add_argument("--limit", type=int, default=0, help="use only this many training examples")
    parser.add_argument("--resume", action="store_true",
                        help="continue each model from its checkpoint in --out, written after every epoch")
    parser.add_argument("--score-every-epoch", action="store_true",
                        help="score the test split and the held-out frames after every epoch too (report only)")
    parser.add_argument("--check-gradients", action="store_true")
    args = parser.parse_args()
    if args.check_gradients:
        return check_gradients()
    if not args.examples or not args.out:
        parser.error("--examples and --out are required")
    os.makedirs(args.out, exist_ok=True)
    train = read_train(args.examples)
    if args.limit:
        train = tuple(a[: args.limit] for a in train)
    mean = train[0].mean(axis=0)
    std = np.maximum(STD_FLOOR, train[0].std(axis=0))
    standardise = lambda f: xp.asarray((f - mean) / std, dtype=xp.float32)
    data = {"train": (standardise(train[0]), xp.asarray(train[1]), xp.asarray(train[2]))}
    for name in ("validation", "test", "held-out"):
        if os.path.exists(os.path.join(args.examples, f"{name}.labels.i8")):
            f, l, a = read_set(args.examples, name)
            data[name] = (standardise(f), l, a)
    print(json.dumps({"device": DEVICE, "train": int(train[1].shape[0]),
                      **{k: int(v[1].shape[0]) for k, v in data.items() if k != "train"}}), flush=True)
    summary = []
    for config in args.configs.split(","):
        hidden, depth = (int(v) for v in config.split("x"))
        for seed in (int(s) for s in args.seeds.split(",")):
            name = f"h{hidden}x{depth}-s{seed}" + (f"-d{args.dropout:g}" if args.dropout else "") \
                + (f"-a{args.amount_weight:g}" if args.amount_weight != AMOUNT_WEIGHT else "") \
                + (f"-n{args.none_weight:g}" if args.none_weight != 1 else "") \
                + (f"-{args.combination_targets}" if args.combination_targets != "none" else "")
            network, info = train_one(name, hidden, depth, seed, args, data, mean, std)
            # The standardisation is kept in the model, as the TensorFlow.js form keeps it.
            save(args.out, network, info, mean, std)
            print(json.dumps({"model": name, "best": info["bestEpoch"], "scores": info["scores"],
                              "seconds": info["seconds"]}), flush=True)
            summary.append({k: v for k, v in info.items() if k != "history"})
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
