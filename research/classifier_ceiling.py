#!/usr/bin/env python3
"""How far can any single-frame classifier go on sources it never saw?

A check outside the product, for issue 4's targets (98.3% exact on single detunes, the paper's
figure). It trains a different kind of model from ours (gradient-boosted trees on 150 hand-made
statistics of the proxy: per-channel and luma percentiles, clipped shares, chroma percentiles,
the colour of the brightest, darkest and middle pixels) on the same clean references our
classifier trains on, detuned with the same table (DESIGN.md), and reports:

  1. exact and right-family accuracy on the validation sources (never trained on);
  2. the same when half the frames of each validation source are added to training (the
     paper's protocol, as far as it can be guessed: frames, not sources, held out);
  3. the learning curve: accuracy against the number of training sources.

Needs Debian's python3-sklearn and python3-pil (apt-get install python3-sklearn python3-pil).

  /usr/bin/python3 research/classifier_ceiling.py --data DS [--data DS2 ...] [--extra DIR ...] --work DIR
      [--holdout validation|test] [--curve 59,120,240,361]
"""
import argparse, glob, json, os, random
import numpy as np
from PIL import Image

FAMILIES = ['green', 'blue', 'orange', 'black-high', 'black-low', 'white-low', 'contrast-high', 'saturation-low']
NONE = 24  # class index here: family * 3 + level - 1 for the 24 detunes, 24 for none


def detune_one(x, family, level):
    x = x.copy()
    if family == 'green': x[..., 1] *= 1 + 0.30 * level
    elif family == 'blue': x[..., 2] *= 1 + 0.30 * level
    elif family == 'orange': x[..., 0] *= 1 + 0.30 * level; x[..., 1] *= 1 + 0.12 * level
    elif family == 'black-high': b = 0.12 * level; x = b + (1 - b) * x
    elif family == 'black-low': b = 0.08 * level; x = (x - b) / (1 - b)
    elif family == 'white-low': x = x * (1 - 0.30 * level)
    elif family == 'contrast-high': x = 0.5 + (x - 0.5) * (1 + 0.6 * level)
    elif family == 'saturation-low':
        y = (0.2126 * x[..., 0] + 0.7152 * x[..., 1] + 0.0722 * x[..., 2])[..., None]
        x = y + (x - y) * (1 - 0.6 * level)
    return np.round(np.clip(x, 0, 1) * 255) / 255


def detuned(rgb, label):
    x = rgb.astype(np.float64) / 255
    if label == NONE: return x
    return detune_one(x, FAMILIES[label // 3], (label % 3 + 1) / 3)


PCT = [0, 0.1, 0.5, 1, 2, 5, 10, 25, 50, 75, 90, 95, 98, 99, 99.5, 99.9, 100]


def features(x):
    y = 0.2126 * x[..., 0] + 0.7152 * x[..., 1] + 0.0722 * x[..., 2]
    f = []
    for c in (x[..., 0], x[..., 1], x[..., 2], y):
        v = c.ravel()
        f += list(np.percentile(v, PCT))
        f += [np.mean(v == 0), np.mean(v <= 2 / 255), np.mean(v >= 1), np.mean(v >= 253 / 255), v.mean(), v.std()]
    rg = (x[..., 0] - x[..., 1]).ravel(); bg = (x[..., 2] - x[..., 1]).ravel(); sat = (x.max(-1) - x.min(-1)).ravel()
    for v in (rg, bg, sat):
        f += list(np.percentile(v, [1, 5, 25, 50, 75, 95, 99])) + [v.mean()]
    order = np.argsort(y.ravel()); n = len(order); flat = x.reshape(-1, 3)
    for idx in (order[-n // 20:], order[:n // 20], order[n // 4:3 * n // 4]):
        m = flat[idx].mean(0); f += list(m) + [m[0] - m[1], m[2] - m[1]]
    return np.array(f, dtype=np.float32)


def references(datasets, split, per_source):
    by_source = {}
    for ds in datasets:
        for line in open(os.path.join(ds, 'manifest.jsonl')):
            e = json.loads(line)
            if e['split'] != split: continue
            for f in e['files']:
                if 'reference' in f: by_source.setdefault(e['source'], []).append(os.path.join(ds, f['reference']))
    out = []
    for source, files in sorted(by_source.items()):
        files = sorted(set(files))
        out += [(f, source) for f in files[::max(1, len(files) // per_source)][:per_source]]
    return out


def extra_photos(folder, width, height):
    out = []
    for p in sorted(glob.glob(os.path.join(folder, '*'))):
        if os.path.splitext(p)[1].lower() not in ('.png', '.jpg', '.jpeg', '.tif', '.tiff', '.bmp', '.webp'): continue
        im = Image.open(p).convert('RGB'); w, h = im.size
        th = int(w * height / width)
        im = im.crop((0, (h - th) // 2, w, (h - th) // 2 + th)) if th <= h else im.crop(((w - int(h * width / height)) // 2, 0, (w + int(h * width / height)) // 2, h))
        out.append((np.asarray(im.resize((width, height), Image.BICUBIC)), p))
    return out


def build(args):
    rng = random.Random(args.seed)
    sets = {}
    for split in ('train', args.holdout):
        cache = os.path.join(args.work, split + '.npz')
        if os.path.exists(cache):
            sets[split] = dict(np.load(cache)); continue
        items = [(np.asarray(Image.open(f).convert('RGB')), s) for f, s in references(args.data, split, args.per_source)]
        if split == 'train':
            for folder in args.extra or []:
                items += extra_photos(folder, items[0][0].shape[1], items[0][0].shape[0])
        X, y, src, frame = [], [], [], []
        for k, (rgb, source) in enumerate(items):
            labels = range(25) if split != 'train' else [rng.randrange(25) for _ in range(args.per_frame)]
            for label in labels:
                X.append(features(detuned(rgb, label))); y.append(label); src.append(source); frame.append(k)
        sets[split] = dict(X=np.array(X), y=np.array(y), s=np.array(src), f=np.array(frame))
        np.savez(cache, **sets[split])
        print(f'{split}: {len(items)} frames from {len(set(src))} sources, {len(y)} examples', flush=True)
    return sets['train'], sets[args.holdout]


def model():
    from sklearn.ensemble import HistGradientBoostingClassifier
    return HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, random_state=0)


def scores(pred, truth):
    family = lambda l: np.where(l == NONE, -1, l // 3)
    return (pred == truth).mean(), (family(pred) == family(truth)).mean()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', action='append', required=True)
    ap.add_argument('--extra', action='append', help='a folder of more clean photographs for training (repeatable)')
    ap.add_argument('--curve', help='training-source counts for the learning curve (default: a quarter, a half, all)')
    ap.add_argument('--work', required=True)
    ap.add_argument('--per-source', type=int, default=24)
    ap.add_argument('--per-frame', type=int, default=8)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--holdout', choices=['validation', 'test'], default='validation', help='the unseen split to score on')
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    tr, va = build(args)

    clf = model().fit(tr['X'], tr['y'])
    exact, fam = scores(clf.predict(va['X']), va['y'])
    print(f'1. unseen sources ({len(set(va["s"]))} {args.holdout} sources): exact {exact:.1%}, right family {fam:.1%}')
    print(f'   (training examples, seen: exact {scores(clf.predict(tr["X"]), tr["y"])[0]:.1%})')

    # 2. Frames held out instead of sources: half the frames of each held-out source train.
    seen = va['f'] % 2 == 0
    clf2 = model().fit(np.vstack([tr['X'], va['X'][seen]]), np.concatenate([tr['y'], va['y'][seen]]))
    exact2, fam2 = scores(clf2.predict(va['X'][~seen]), va['y'][~seen])
    print(f'2. other frames of sources seen in training: exact {exact2:.1%}, right family {fam2:.1%}')

    # 3. Learning curve over training sources.
    sources = sorted(set(tr['s']))
    print('3. training sources -> exact on unseen sources (mean of seeds)')
    counts = [int(c) for c in args.curve.split(',')] if args.curve else [round(len(sources) * f) for f in (0.25, 0.5, 1.0)]
    for count in counts:
        count = min(count, len(sources))
        got = []
        for seed in range(3 if count < len(sources) else 1):
            pick = set(random.Random(seed).sample(sources, count))
            m = np.array([s in pick for s in tr['s']])
            got.append(scores(model().fit(tr['X'][m], tr['y'][m]).predict(va['X']), va['y'])[0])
        print(f'   {len(pick):3d} sources: {np.mean(got):.1%}  ({", ".join(f"{g:.1%}" for g in got)})', flush=True)


if __name__ == '__main__':
    main()
