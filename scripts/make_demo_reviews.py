"""Writes `data/zh_reviews/reviews.csv.gz`, the demo's subset of the Chinese reviews.

    .venv/bin/python scripts/make_demo_reviews.py [--data-dir ../shared/data]

Reads `zh_reviews/online_shopping_9_cats.csv` (cat,label,review) and
`zh_reviews/waimai_10k.csv` (label,review) from the shared data folder and
keeps every food-delivery review and the product reviews whose salted md5
bucket (of 10) is below `--shopping-buckets` — a choice by hash, never by position, and
independent of the pipelines' train/eval split (md5 of the bare text).
The output has the columns `source,cat,label,review`: `source` is `shopping`
or `waimai`, `cat` the product category (`外卖` for food delivery) and
`label` `positive` or `negative` (the source's 1 / 0). Rows keep the sources'
order; reviews that appear twice are written once.
"""

import argparse
import csv
import gzip
import hashlib
import io
import os

_HERE = os.path.dirname(os.path.abspath(__file__))
_LABELS = {"1": "positive", "0": "negative"}


def _bucket(text: str, total: int = 10) -> int:
    # Salted, so the subset is independent of the train/eval split (md5 of the bare text).
    return int(hashlib.md5(("demo-subset:" + text).encode("utf-8")).hexdigest(), 16) % total


def _rows(path):
    with open(path, encoding="utf-8", newline="") as f:
        yield from csv.DictReader(f)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.path.join(_HERE, "..", "..", "shared", "data"))
    parser.add_argument("--shopping-buckets", type=int, default=3, help="keep md5 buckets below this (of 10)")
    parser.add_argument("--output", default=os.path.join(_HERE, "..", "data", "zh_reviews", "reviews.csv.gz"))
    args = parser.parse_args()

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["source", "cat", "label", "review"])
    seen, counts = set(), {}
    sources = [
        ("shopping", os.path.join(args.data_dir, "zh_reviews", "online_shopping_9_cats.csv")),
        ("waimai", os.path.join(args.data_dir, "zh_reviews", "waimai_10k.csv")),
    ]
    for source, path in sources:
        for row in _rows(path):
            text = (row["review"] or "").strip()
            if not text or text in seen:
                continue
            if source == "shopping" and _bucket(text) >= args.shopping_buckets:
                continue
            seen.add(text)
            label = _LABELS[row["label"]]
            writer.writerow([source, row.get("cat", "外卖"), label, text])
            counts[(source, label)] = counts.get((source, label), 0) + 1
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    # mtime=0: the same input gives the same bytes.
    with open(args.output, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=9) as f:
        f.write(out.getvalue().encode("utf-8"))
    total = sum(counts.values())
    print(f"wrote {args.output}: {total} reviews, {os.path.getsize(args.output) / 1e6:.2f} MB; {counts}")


if __name__ == "__main__":
    main()
