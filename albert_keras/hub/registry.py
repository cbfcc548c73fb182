"""Released ALBERT checkpoints as plain data: name → where and what.

Each entry:
    urls         mirrors of one archive, tried in order (the first that
                 answers is used; every mirror must serve the same bytes).
    format       the checkpoint format: "google_tf1" (google-research TF1
                 checkpoint) or "brightmart_tf1" (brightmart/albert_zh).
    layout       where the files are inside the archive: `root` (the
                 directory the archive unpacks to), `config`, `checkpoint`
                 (the TF1 prefix inside root) and `spm` (SentencePiece model)
                 or `vocab` (WordPiece vocab.txt); a missing file is None.
    uncased      the vocabulary was lowercased (tokenizer option).
    licence, description, homepage.
    size         bytes of the archive, or None when not measured.
    sha256       hex digest of the archive, or None when not measured.

Sizes and hashes are None: they were not measured here (no network). A
known `sha256` is enforced on download; `size` likewise; with None the
Content-Length and the archive's integrity are still checked, and the hash
of the first download is recorded in the cache manifest and checked on
every later use.
"""

_GOOGLE = "https://storage.googleapis.com/albert_models"
_HOMEPAGE = "https://github.com/google-research/albert"
_SIZES = {"base": "12 layers, H=768", "large": "24 layers, H=1024", "xlarge": "24 layers, H=2048",
          "xxlarge": "12 layers, H=4096"}

REGISTRY = {}

for _size, _shape in _SIZES.items():
    for _version, _note in (("v1", "v1 (trained with dropout)"), ("v2", "v2 (no dropout, longer training)")):
        REGISTRY[f"albert_{_size}_{_version}"] = {
            "urls": [f"{_GOOGLE}/albert_{_size}_{_version}.tar.gz"],
            "format": "google_tf1",
            "layout": {
                "root": f"albert_{_size}",
                "config": "albert_config.json",
                "checkpoint": "model.ckpt-best",
                "spm": "30k-clean.model",
                "vocab": None,
            },
            "uncased": True,
            "licence": "Apache-2.0",
            "description": f"Google's English ALBERT-{_size} {_note}, {_shape}; uncased 30k SentencePiece vocab.",
            "homepage": _HOMEPAGE,
            "size": None,
            "sha256": None,
        }
    REGISTRY[f"albert_{_size}_zh"] = {
        "urls": [f"{_GOOGLE}/albert_{_size}_zh.tar.gz"],
        "format": "google_tf1",
        "layout": {
            "root": f"albert_{_size}",
            "config": "albert_config.json",
            "checkpoint": "model.ckpt-best",
            "spm": None,
            "vocab": "vocab_chinese.txt",
        },
        "uncased": True,
        "licence": "Apache-2.0",
        "description": f"Google's Chinese ALBERT-{_size} ({_shape}), trained on CLUE data; "
        "WordPiece vocab_chinese.txt.",
        "homepage": _HOMEPAGE,
        "size": None,
        "sha256": None,
    }

FORMATS = ("google_tf1", "brightmart_tf1")
