"""Calibrates a statistics network trained by research/train_statistics.py (research, not product):
one temperature T for its class head, softmax(logits / T), fitted on a set's single examples by
their mean negative log-likelihood (a grid of 200 values from 0.5 to 8, spaced by ratio), and
reported beside the same fit on the other sets, so that one can see whether it holds there.

    python3 research/calibrate_statistics.py --examples DIR --model RUNS/NAME.json \
        [--fit validation] [--out DIR]

With --out, writes NAME.json and NAME.weights.bin there: the same network with its class head's
weights and bias divided by T (so it gives the calibrated probabilities as it is) and
`temperature` recorded; research/import-statistics.ts turns it into a vgrade classifier folder.
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_statistics import Network, host, read_set  # noqa: E402

TEMPERATURES = np.exp(np.linspace(np.log(0.5), np.log(8.0), 200))


def read_model(path):
    info = json.load(open(path))
    flat = np.fromfile(os.path.join(os.path.dirname(path), f"{info['name']}.weights.bin"), dtype="<f4")
    arrays, offset = {}, 0
    for w in info["weights"]:
        size = int(np.prod(w["shape"]))
        arrays[w["name"]] = flat[offset:offset + size].reshape(w["shape"])
        offset += size
    if offset != flat.size:
        sys.exit(f"{info['name']}.weights.bin holds {flat.size} numbers but its description {offset}")
    return info, arrays


def class_logits(arrays, features):
    """The class head's logits, by the trainer's own forward pass."""
    depth = sum(1 for name in arrays if name.startswith("s/h") and name.endswith("/w"))
    network = Network.__new__(Network)
    network.depth = depth
    network.params = [arrays[f"s/h{k + 1}/{part}"] for k in range(depth) for part in ("w", "b")] + [
        arrays[name] for name in ("c/classes/w", "c/classes/b", "c/amounts/w", "c/amounts/b")]
    logits, _, _ = network.forward((features - arrays["s/norm/mean"]) / arrays["s/norm/std"])
    return host(logits)


def mean_nll(logits, labels, temperature):
    s = logits / temperature
    s = s - s.max(axis=1, keepdims=True)
    log_probs = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(labels.size), labels].mean())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", required=True)
    parser.add_argument("--model", required=True, help="NAME.json written by train_statistics.py")
    parser.add_argument("--fit", default="validation", help="the set the temperature is chosen on")
    parser.add_argument("--out")
    args = parser.parse_args()
    info, arrays = read_model(args.model)
    report = {}
    for name in ("validation", "test", "held-out"):
        if not os.path.exists(os.path.join(args.examples, f"{name}.labels.i8")):
            continue
        features, labels, _ = read_set(args.examples, name)
        single = labels >= 0  # the class head is scored on single examples only
        logits = class_logits(arrays, features[single])
        losses = [mean_nll(logits, labels[single], t) for t in TEMPERATURES]
        best = int(np.argmin(losses))
        report[name] = {"nllAt1": mean_nll(logits, labels[single], 1.0), "bestTemperature": float(TEMPERATURES[best]),
                        "nllAtBest": losses[best], "logits": logits, "labels": labels[single]}
    if args.fit not in report:
        sys.exit(f"no {args.fit}.labels.i8 in {args.examples}")
    temperature = report[args.fit]["bestTemperature"]
    for part in report.values():
        part["nllAtFitted"] = mean_nll(part.pop("logits"), part.pop("labels"), temperature)
    print(json.dumps({"model": info["name"], "temperature": temperature, "fittedOn": args.fit, "sets": report}))
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        arrays["c/classes/w"] = arrays["c/classes/w"] / temperature
        arrays["c/classes/b"] = arrays["c/classes/b"] / temperature
        with open(os.path.join(args.out, f"{info['name']}.weights.bin"), "wb") as f:
            for w in info["weights"]:
                f.write(np.asarray(arrays[w["name"]], dtype="<f4").tobytes())
        info = {**info, "temperature": temperature, "temperatureFittedOn": args.fit}
        with open(os.path.join(args.out, f"{info['name']}.json"), "w") as f:
            json.dump(info, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
