"""The safetensors format (huggingface/safetensors) without the `safetensors` package (Debian has none):
[u64 LE header length N][N bytes of JSON, space-padded to a multiple of 8][raw little-endian data].
Written as the reference writer and src/engine/io/safetensors.ts write it: "__metadata__" first, tensors
sorted by dtype alignment (largest first) then by name, so the engine's files and ours are byte-compatible."""
import json
import os
import struct

import torch

_DTYPES = {  # name: (torch dtype, rank in the reference's Dtype enum = the writer's sort key)
    "BOOL": (torch.bool, 0), "U8": (torch.uint8, 1), "I8": (torch.int8, 2), "I16": (torch.int16, 3),
    "F16": (torch.float16, 5), "BF16": (torch.bfloat16, 6), "I32": (torch.int32, 7),
    "F32": (torch.float32, 9), "F64": (torch.float64, 10), "I64": (torch.int64, 11),
}
_BY_TORCH = {v[0]: k for k, v in _DTYPES.items()}


class SafetensorsError(ValueError):
    pass


def serialize(tensors, metadata=None):
    """{name: tensor} (+ {str: str} metadata) → bytes."""
    items = []
    for name, t in tensors.items():
        if t.dtype not in _BY_TORCH:
            raise SafetensorsError(f"tensor '{name}': unsupported dtype {t.dtype}")
        dt = _BY_TORCH[t.dtype]
        items.append((-_DTYPES[dt][1], name.encode(), name, dt, t.detach().cpu().contiguous()))
    items.sort(key=lambda it: (it[0], it[1]))
    header, blobs, off = {}, [], 0
    if metadata:
        for k, v in metadata.items():
            if not isinstance(v, str):
                raise SafetensorsError(f"metadata value of '{k}' must be a string, got {type(v).__name__}")
        header["__metadata__"] = metadata
    for _, _, name, dt, t in items:
        b = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


def parse(data):
    """bytes → ({name: tensor}, metadata); checks that the offsets tile the data exactly."""
    if len(data) < 8:
        raise SafetensorsError("file too short for the 8-byte header length")
    n, = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise SafetensorsError(f"header length {n} is longer than the file")
    header = json.loads(data[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {}) or {}
    base, pos, out = 8 + n, 0, {}
    for name, e in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        if e["dtype"] not in _DTYPES:
            raise SafetensorsError(f"tensor '{name}': unsupported dtype {e['dtype']}")
        dt = _DTYPES[e["dtype"]][0]
        b, end = e["data_offsets"]
        if b != pos:
            raise SafetensorsError(f"tensor '{name}': data_offsets start at {b}, expected {pos}")
        numel = 1
        for d in e["shape"]:
            numel *= d
        if end - b != numel * torch.tensor([], dtype=dt).element_size():
            raise SafetensorsError(f"tensor '{name}': {end - b} bytes do not fit shape {e['shape']} of {e['dtype']}")
        raw = bytearray(data[base + b:base + end])
        t = torch.frombuffer(raw, dtype=dt) if raw else torch.empty(0, dtype=dt)
        out[name] = t.reshape(e["shape"]).clone()
        pos = end
    if base + pos != len(data):
        raise SafetensorsError(f"{len(data) - base - pos} bytes after the last tensor are not described by the header")
    return out, meta


def save_file(path, tensors, metadata=None):
    """Writes atomically (a temporary file renamed over the target), as the engine does."""
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(serialize(tensors, metadata))
    os.replace(tmp, path)


def load_file(path):
    with open(path, "rb") as f:
        data = f.read()
    try:
        return parse(data)
    except (SafetensorsError, ValueError, KeyError) as e:
        raise SafetensorsError(f"{path}: {e}") from e
