"""CelebA-layout folders as training batches, the way src/sagan/data/celeba.ts and src/sagan/batches.ts
make them: the centred 170/178 crop, area-averaging resize (bilinear when enlarging) to the model size,
values in [−1, 1], labels 1 where the attribute is +1; and the same batch stream — batch k is the k-th
slice of epoch-wise permutations seeded by (seed, epoch) with the engine's PRNG (mulberry32 + lowbias32,
ported below), so one process here sees exactly the batches the engine's trainer sees.

Split, as src/sagan/training-data.ts: with `train_count` (the engine's config.trainCount, --train-count)
the first train_count listed images; without, list_eval_partition.txt's train part (0) when the file
exists, else the first 200,000 listed images (the re-implementation's split)."""
import os

import numpy as np
import torch

ATTR_FILE, PARTITION_FILE, IMAGE_DIR = "list_attr_celeba.txt", "list_eval_partition.txt", "img_align_celeba"
CELEBA_TRAIN_COUNT = 200_000
M32 = 0xFFFFFFFF


# ── src/sagan/data/rng.ts, bit for bit ──────────────────────────────────────────────────────────────────
def _imul(a, b):
    return (a * b) & M32


def hash32(x):
    x &= M32
    x = (x ^ (x >> 16)) & M32
    x = _imul(x, 0x7FEB352D)
    x ^= x >> 15
    x = _imul(x, 0x846CA68B)
    x ^= x >> 16
    return x & M32


def hash_ints(*xs):
    h = 0x9E3779B9
    for x in xs:
        h = hash32(((h ^ hash32(x)) + 0x6D2B79F5) & M32)
    return h


class Rng:
    """mulberry32."""

    def __init__(self, seed):
        self.s = seed & M32

    def u32(self):
        self.s = (self.s + 0x6D2B79F5) & M32
        t = self.s
        t = _imul(t ^ (t >> 15), t | 1)
        t ^= (t + _imul(t ^ (t >> 7), t | 61)) & M32
        return (t ^ (t >> 14)) & M32

    def int(self, n):
        return int((self.u32() / 4294967296) * n)


def shuffle_in_place(a, rng):
    for i in range(len(a) - 1, 0, -1):
        j = rng.int(i + 1)
        a[i], a[j] = a[j], a[i]


class BatchOrder:
    """Indices of batch k: epoch e visits the set in the permutation seeded by hash_ints(seed, e);
    each epoch's last partial batch is dropped (batches.ts batchIndices)."""

    def __init__(self, length, batch_size, seed):
        if length // batch_size < 1:
            raise ValueError(f"data: {length} images do not fill one batch of {batch_size}")
        self.length, self.batch_size, self.seed = length, batch_size, seed
        self._epoch, self._order = None, None

    def __call__(self, k):
        per = self.length // self.batch_size
        epoch, b = divmod(k, per)
        if epoch != self._epoch:
            order = list(range(self.length))
            shuffle_in_place(order, Rng(hash_ints(self.seed, epoch)))
            self._epoch, self._order = epoch, order
        return self._order[b * self.batch_size:(b + 1) * self.batch_size]


# ── crop and resize: src/engine/io/crop.ts and image.ts imageToTensor ───────────────────────────────────
def celeba_crop(width, height):
    side = max(1, int(np.floor(min(width, height) * 170 / 178 + 0.5)))
    return (width - side) // 2, (height - side) // 2, side


def axis_weights(in_len, out_len):
    """[out_len, in_len] resampling matrix (f32 weights, as the engine stores them): area averaging when
    shrinking, bilinear with centres aligned when enlarging."""
    w = np.zeros((out_len, in_len), np.float32)
    if out_len <= in_len:
        s = in_len / out_len
        for i in range(out_len):
            a, b = i * s, min(in_len, (i + 1) * s)
            for j in range(int(np.floor(a)), min(in_len, int(np.ceil(b)))):
                w[i, j] = (min(b, j + 1) - max(a, j)) / (b - a)
    else:
        scale = out_len / in_len
        for i in range(out_len):
            x = min(in_len - 1, max(0.0, (i + 0.5) / scale - 0.5))
            j0 = min(max(in_len - 2, 0), int(np.floor(x)))
            f = 0.0 if in_len == 1 else x - j0
            w[i, j0] += 1 - f
            if in_len > 1:
                w[i, j0 + 1] += f
    return w


def image_to_tensor(rgb, size):
    """HWC uint8 RGB → [3, size, size] float32 in [−1, 1]: celeba crop, separable resize (rows, then
    columns; the intermediate rounded to f32 as the engine's Float32Array is, sums in f64 as JS does)."""
    h, w, _ = rgb.shape
    x0, y0, side = celeba_crop(w, h)
    crop = rgb[y0:y0 + side, x0:x0 + side].astype(np.float64)
    if side == size:
        out = crop
    else:
        wx = axis_weights(side, size).astype(np.float64)
        tmp = np.einsum("yxc,ox->yoc", crop, wx).astype(np.float32).astype(np.float64)
        out = np.einsum("yoc,py->poc", tmp, wx)
    return (-1 + (2 / 255) * out).astype(np.float32).transpose(2, 0, 1).copy()


# ── the folder ──────────────────────────────────────────────────────────────────────────────────────────
class CelebAFolder:
    def __init__(self, root, attribute, size, split="train", train_count=None):
        self.root, self.size = root, size
        with open(os.path.join(root, ATTR_FILE), encoding="utf-8-sig") as f:
            lines = [l for l in f.read().splitlines()]
        while lines and not lines[-1].strip():
            lines.pop()
        attrs = lines[1].split()
        if attribute not in attrs:
            raise ValueError(f"{root}/{ATTR_FILE}: no attribute '{attribute}' (it has {', '.join(attrs)})")
        col = attrs.index(attribute) + 1
        rows = [l.split() for l in lines[2:]]
        part_path = os.path.join(root, PARTITION_FILE)
        self.train_count = train_count  # the split by count, or None (list_eval_partition.txt's)
        if train_count is None and os.path.exists(part_path):
            want = {"train": "0", "val": "1", "test": "2"}[split]
            with open(part_path, encoding="utf-8-sig") as f:
                part = dict(l.split() for l in f.read().splitlines() if l.strip())
            rows = [r for r in rows if part.get(r[0]) == want]
        else:
            self.train_count = n = CELEBA_TRAIN_COUNT if train_count is None else train_count
            rows = rows[:n] if split == "train" else rows[n:]
        if not rows:
            raise ValueError(f"{root}: the {split} split is empty")
        self.names = [r[0] for r in rows]
        self.labels = np.array([1.0 if r[col] in ("1", "+1") else 0.0 for r in rows], np.float32)

    def __len__(self):
        return len(self.names)

    def image(self, i):
        from PIL import Image  # Pillow decodes CelebA's JPEGs (and PNGs)
        with Image.open(os.path.join(self.root, IMAGE_DIR, self.names[i])) as im:
            return image_to_tensor(np.asarray(im.convert("RGB")), self.size)

    def batch(self, indices):
        x = torch.from_numpy(np.stack([self.image(i) for i in indices]))
        return x, torch.from_numpy(self.labels[list(indices)])


class Stream:
    """The training stream of one process: its j-th draw is global batch start + j·world + rank, so
    N processes together consume the single-process stream in order and `batches` (the checkpoint's data
    position) counts global batches whatever the process count."""

    def __init__(self, ds, batch_size, seed, rank=0, world=1):
        self.ds, self.order, self.rank, self.world = ds, BatchOrder(len(ds), batch_size, seed), rank, world

    def draw(self, position, j):
        return self.ds.batch(self.order(position + j * self.world + self.rank))
