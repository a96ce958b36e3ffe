"""Python SetFit on the same body and the same few-shot draws as `bench fewshot setfit` (reference only, issue #13).

Not part of the project and never a dependency: it answers "does MLNet.FineTune's SetFit match Python SetFit?" by
running huggingface/setfit v1.0.3 (with sentence-transformers v2.7.0, transformers 4.40.2, Debian torch 1.13) on
  * the same checkpoint: all-MiniLM-L6-v2 as MLNet.FineTune converts it, written out by
        bench export-hf minilm /tmp/minilm-hf
    and assembled here as all-MiniLM-L6-v2's own sentence-transformers pipeline (Transformer -> mean Pooling -> Normalize),
  * the same examples: the TSV files written by
        bench fewshot dump --sizes 8 --draw-from 0 --draws 10 --out /tmp/fewshot-draws
    (FewShotData's seeded draws, in the same row order, and the 872 dev rows), so no sampling is re-implemented here,
  * the same recipe as `bench fewshot setfit`: CosineSimilarityLoss, num_iterations 20, 1 epoch, body lr 2e-5,
    batch 16, 10% warmup, max 64 tokens, LogisticRegression() head, seed 42 + draw.
Per draw it also fits the same LogisticRegression on the *untrained* body's embeddings ("frozen"), a paired baseline
that shows what the contrastive body training adds, and a check that the exported checkpoint embeds as ours does.

Environment (no PyPI here; reference only): setfit and sentence-transformers are their GitHub sources at those tags
(the `fetch` tool gives bare git dirs SETFIT_GIT and ST_GIT), symlinked into a site folder with dist-info folders as
../shared/bench/hf-trainer/SETUP.md does for transformers (whose /tmp/hfenv/site this reuses):
    mkdir -p /tmp/h2env/src /tmp/h2env/site && cd /tmp/h2env/src
    git --git-dir=$SETFIT_GIT archive --prefix=setfit/ v1.0.3 src/setfit | tar -x
    git --git-dir=$ST_GIT archive --prefix=st/ v2.7.0 sentence_transformers | tar -x
    cd /tmp/h2env/site && ln -sfn ../src/setfit/src/setfit setfit && ln -sfn ../src/st/sentence_transformers sentence_transformers
    (plus setfit-1.0.3.dist-info / sentence_transformers-2.7.0.dist-info folders with a METADATA file, as SETUP.md)
    apt-get install -y python3-sklearn python3-scipy python3-pil python3-pandas python3-joblib
`datasets`, `evaluate` and `tokenizers` are not installable here; when they are missing the script writes tiny import
stubs (containers only, no model math; `write_stubs` below) to /tmp/setfit-reference-stubs and puts them on sys.path.
Run at nice 19:

    OPENBLAS_CORETYPE=Zen LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp HF_HUB_OFFLINE=1 \
    PYTHONPATH=/tmp/h2env/site:/tmp/hfenv/site nice -n 19 /usr/bin/python3 bench/setfit_reference.py \
        --model /tmp/minilm-hf --draws-dir /tmp/fewshot-draws --sizes 8 --draws 0,1,2 >> setfit-python.jsonl

--pairs-check DIR (first size and draw only) is the deterministic comparison: it copies the checkpoint with dropout 0
to DIR/model, writes the pairs in the order setfit trains on them to DIR/pairs.tsv, trains, prints the per-step losses
and writes DIR/dev-embeddings-python.f32; `bench fewshot pairs-check` replays the same pairs in .NET and
`--compare DIR` prints the largest embedding difference. See docs/benchmarks.md, issue #13.

One JSON line per (size, draw, seed), the same fields as `bench fewshot` so `bench fewshot-summary` can read them
(method "setfit-python"; the frozen baseline's line has method "frozen-python").
"""
import argparse
import contextlib
import json
import os
import random
import resource
import sys
import time

import numpy as np
import torch


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, help="Hugging Face folder written by `bench export-hf minilm`")
    p.add_argument("--draws-dir", required=True, help="folder written by `bench fewshot dump`")
    p.add_argument("--sizes", default="8")
    p.add_argument("--draws", default="0,1,2", help="comma-separated draw numbers")
    p.add_argument("--seeds", default="", help="comma-separated seeds per draw; default 42 + draw (as `bench fewshot setfit`)")
    p.add_argument("--iterations", type=int, default=20, help="setfit num_iterations; 0 = setfit v1's default oversampling")
    p.add_argument("--max-seq-length", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-5)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--no-frozen", action="store_true", help="skip the frozen-body baseline")
    p.add_argument("--pairs-check", metavar="DIR", help="deterministic step-by-step check against `bench fewshot pairs-check` "
                   "(first size and draw only; see the module docstring)")
    p.add_argument("--compare", metavar="DIR", help="compare DIR's dev embeddings from both sides and exit")
    return p.parse_args()


STUBS = {
    "datasets": '''"""Stand-in for Hugging Face `datasets` (environment only): a dict of equal-length columns."""
__version__ = "2.14.0"


class Dataset:
    def __init__(self, columns):
        self._columns = {k: list(v) for k, v in columns.items()}

    @classmethod
    def from_dict(cls, mapping):
        return cls(mapping)

    @property
    def column_names(self):
        return list(self._columns)

    def __len__(self):
        return len(next(iter(self._columns.values()), []))

    def select(self, indices):
        indices = list(indices)
        return Dataset({k: [v[i] for i in indices] for k, v in self._columns.items()})

    def map(self, function):
        rows = [function(self[i]) for i in range(len(self))]
        return Dataset({k: [r[k] for r in rows] for k in (rows[0] if rows else self._columns)})

    def __getitem__(self, key):
        if isinstance(key, str):
            return list(self._columns[key])
        return {k: v[key] for k, v in self._columns.items()}


class DatasetDict(dict):
    @property
    def column_names(self):
        return {k: v.column_names for k, v in self.items()}


def load_dataset(*args, **kwargs):
    raise RuntimeError("datasets stub: load_dataset is not available offline")
''',
    "evaluate": '''def load(*args, **kwargs):
    raise RuntimeError("evaluate stub: compute metrics in the calling script")
''',
    # setfit.model_card reads tokenizers.__version__; without a dist-info transformers still sees `tokenizers` as absent.
    "tokenizers": '__version__ = "0.0.0-stub"\n',
}


def write_stubs(folder="/tmp/setfit-reference-stubs"):
    """Import stubs for the packages setfit imports but this machine cannot install (environment only, no model math)."""
    import importlib.util

    missing = [name for name in STUBS if importlib.util.find_spec(name) is None]
    for name in missing:
        os.makedirs(os.path.join(folder, name), exist_ok=True)
        with open(os.path.join(folder, name, "__init__.py"), "w") as f:
            f.write(STUBS[name])
    if missing:
        sys.path.insert(0, folder)


def environment_shims():
    """Environment only, no model math (as ../shared/bench/hf-trainer/train.py): without the Rust `tokenizers` package,
    transformers 4.40's pure-Python fallback AddedToken is unhashable, which the slow BertTokenizer needs."""
    import transformers
    from transformers import tokenization_utils_base as tub

    if transformers.utils.is_tokenizers_available():
        return
    tub.AddedToken.__hash__ = lambda self: hash(self.content)
    tub.AddedToken.__eq__ = lambda self, o: self.content == o.content if isinstance(o, tub.AddedToken) else NotImplemented
    if not hasattr(tub.AddedToken, "__setstate__"):
        tub.AddedToken.__setstate__ = lambda self, state: self.__dict__.update(state)
    tub.AddedToken.__getstate__ = lambda self: dict(self.__dict__)


def read_tsv(path):
    texts, labels = [], []
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        if header != ["sentence", "label"]:
            raise ValueError(f"{path}: header {header}, expected sentence<TAB>label (bench fewshot dump)")
        for n, line in enumerate(f, start=2):
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 2 or parts[1] not in ("0", "1"):
                raise ValueError(f"{path}:{n}: expected sentence<TAB>0|1, got {parts!r}")
            texts.append(parts[0])
            labels.append(int(parts[1]))
    return texts, labels


def body(model_folder, max_seq_length):
    """all-MiniLM-L6-v2's sentence-transformers pipeline on the exported weights: Transformer, mean pooling, L2 normalisation."""
    from sentence_transformers import SentenceTransformer, models

    # use_fast=False: the Rust `tokenizers` package is absent here; the slow BertTokenizer gives the same ids (uncased WordPiece).
    transformer = models.Transformer(model_folder, max_seq_length=max_seq_length, tokenizer_args={"use_fast": False})
    pooling = models.Pooling(transformer.get_word_embedding_dimension(), pooling_mode="mean")
    return SentenceTransformer(modules=[transformer, pooling, models.Normalize()], device="cpu")


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def line(method, per_class, draw, seed, accuracy, seconds, hyper, train_rows, dev_rows):
    return json.dumps({
        "mode": "fewshot", "method": method, "per_class": per_class, "draw": draw, "seed": seed,
        "draw_seed": 1000 * per_class + draw, "train_rows": train_rows, "dev_rows": dev_rows,
        "dev_accuracy": round(accuracy, 4), "fit_and_score_s": round(seconds, 1), "hyperparameters": hyper,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    })


def pairs_check(args, texts, labels, dev_texts, dev_labels):
    """Runs setfit on a dropout-free copy of the checkpoint and writes what `bench fewshot pairs-check` needs to replay
    the same steps: the model folder, the pairs in setfit's training order, and the dev embeddings for --compare."""
    import shutil
    from sklearn.linear_model import LogisticRegression
    from datasets import Dataset
    from sentence_transformers import InputExample, losses
    from setfit import SetFitModel, Trainer, TrainingArguments
    from setfit.sampler import ContrastiveDataset

    model_dir = os.path.join(args.pairs_check, "model")
    os.makedirs(model_dir, exist_ok=True)
    for name in os.listdir(args.model):
        if name != "config.json":
            shutil.copyfile(os.path.join(args.model, name), os.path.join(model_dir, name))
    with open(os.path.join(args.model, "config.json")) as f:
        config = json.load(f)
    config.update(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)  # no randomness left in training
    with open(os.path.join(model_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)

    # The pairs exactly as setfit's Trainer.get_dataloader builds them (its loader neither shuffles nor drops).
    examples = [InputExample(texts=[t], label=l) for t, l in zip(texts, labels)]
    pairs = list(ContrastiveDataset(examples, None, args.iterations or None, "oversampling"))
    with open(os.path.join(args.pairs_check, "pairs.tsv"), "w", encoding="utf-8") as f:
        f.write("sentence1\tsentence2\tscore\n")
        for p in pairs:
            f.write(f"{p.texts[0]}\t{p.texts[1]}\t{p.label}\n")

    step_losses = []

    def hooked_cosine_loss(body):
        loss = losses.CosineSimilarityLoss(body)
        loss.register_forward_hook(lambda module, inputs, output: step_losses.append(float(output.detach())))
        return loss

    model = SetFitModel(model_body=body(model_dir, args.max_seq_length), model_head=LogisticRegression())
    training = TrainingArguments(
        batch_size=args.batch, num_epochs=args.epochs, body_learning_rate=args.lr, num_iterations=args.iterations or None,
        loss=hooked_cosine_loss, show_progress_bar=False, report_to="none", output_dir="/tmp/setfit-reference-checkpoints",
        save_strategy="no", logging_steps=1_000_000, logging_first_step=False,
    )
    with contextlib.redirect_stdout(sys.stderr):
        Trainer(model=model, args=training, train_dataset=Dataset.from_dict({"text": texts, "label": labels})).train()
    embeddings = model.model_body.encode(dev_texts, batch_size=32, convert_to_numpy=True).astype("<f4")
    embeddings.tofile(os.path.join(args.pairs_check, "dev-embeddings-python.f32"))
    predicted = model.predict(dev_texts, batch_size=32, as_numpy=True)
    print(json.dumps({
        "mode": "fewshot-pairs-check", "impl": "python setfit", "pairs": len(pairs), "steps": len(step_losses),
        "dev_rows": len(dev_texts), "dev_accuracy": round(float(np.mean(np.asarray(predicted) == np.array(dev_labels))), 4),
        "losses": [round(l, 6) for l in step_losses],
    }), flush=True)


def compare(folder, dimensions=384):
    a = np.fromfile(os.path.join(folder, "dev-embeddings-python.f32"), dtype="<f4").reshape(-1, dimensions)
    b = np.fromfile(os.path.join(folder, "dev-embeddings-dotnet.f32"), dtype="<f4").reshape(-1, dimensions)
    cos = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    print(json.dumps({"mode": "fewshot-pairs-compare", "rows": len(a), "max_abs_diff": float(np.max(np.abs(a - b))),
                      "min_cosine": float(np.min(cos)), "mean_cosine": float(np.mean(cos))}))


def main():
    args = parse_args()
    if args.compare:
        compare(args.compare)
        return
    torch.set_num_threads(args.threads)
    write_stubs()
    environment_shims()
    from sklearn.linear_model import LogisticRegression
    from datasets import Dataset  # the stub's column container
    from setfit import SetFitModel, Trainer, TrainingArguments
    import setfit
    import sentence_transformers
    import transformers

    dev_texts, dev_labels = read_tsv(os.path.join(args.draws_dir, "dev.tsv"))
    hyper = {
        "impl": f"setfit {setfit.__version__}, sentence-transformers {sentence_transformers.__version__}, "
                f"transformers {transformers.__version__}, torch {torch.__version__}",
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (MLNet.FineTune's converted weights)",
        "num_iterations": args.iterations or "None (oversampling)", "loss": "CosineSimilarityLoss",
        "head": "LogisticRegression()", "max_seq_len": args.max_seq_length, "lr": args.lr, "batch": args.batch,
        "epochs": args.epochs, "warmup_ratio": 0.1, "threads": args.threads,
    }
    if args.pairs_check:
        per_class, draw = int(args.sizes.split(",")[0]), int(args.draws.split(",")[0])
        texts, labels = read_tsv(os.path.join(args.draws_dir, f"train-{per_class}-{draw}.tsv"))
        seed_everything(42)
        pairs_check(args, texts, labels, dev_texts, dev_labels)
        return
    for per_class in [int(s) for s in args.sizes.split(",")]:
        for draw in [int(d) for d in args.draws.split(",")]:
            texts, labels = read_tsv(os.path.join(args.draws_dir, f"train-{per_class}-{draw}.tsv"))
            seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else [42 + draw]
            for seed in seeds:
                if not args.no_frozen and seed == seeds[0]:
                    clock = time.time()
                    frozen = body(args.model, args.max_seq_length)
                    head = LogisticRegression().fit(frozen.encode(texts), labels)
                    acc = float(np.mean(head.predict(frozen.encode(dev_texts, batch_size=32)) == np.array(dev_labels)))
                    print(line("frozen-python", per_class, draw, seed, acc, time.time() - clock,
                               {"pipeline": "all-MiniLM-L6-v2 (mean, L2, max %d) + LogisticRegression()" % args.max_seq_length},
                               len(texts), len(dev_texts)), flush=True)
                clock = time.time()
                model = SetFitModel(model_body=body(args.model, args.max_seq_length), model_head=LogisticRegression())
                training = TrainingArguments(
                    batch_size=args.batch, num_epochs=args.epochs, body_learning_rate=args.lr,
                    num_iterations=args.iterations or None, seed=seed, show_progress_bar=False, report_to="none",
                    output_dir="/tmp/setfit-reference-checkpoints", save_strategy="no", logging_steps=1_000_000, logging_first_step=False,
                )
                trainer = Trainer(model=model, args=training,
                                  train_dataset=Dataset.from_dict({"text": texts, "label": labels}))
                # setfit 1.0.3's Trainer seeds torch with 12 in __init__ and never reads args.seed outside hyperparameter
                # search; seeding here makes the seed (dropout's only source of randomness, as the pair order is
                # fixed by setfit's RandomState(42) and the loader does not shuffle) vary per run as ours does.
                seed_everything(seed)
                with contextlib.redirect_stdout(sys.stderr):  # setfit's PrinterCallback prints its logs: keep stdout JSON only
                    trainer.train()
                predicted = model.predict(dev_texts, batch_size=32, as_numpy=True)
                acc = float(np.mean(np.asarray(predicted) == np.array(dev_labels)))
                print(line("setfit-python", per_class, draw, seed, acc, time.time() - clock, hyper, len(texts), len(dev_texts)),
                      flush=True)


if __name__ == "__main__":
    main()
