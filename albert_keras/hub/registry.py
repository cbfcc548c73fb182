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

# brightmart/albert_zh releases (https://github.com/brightmart/albert_zh): zips that unpack flat or into one
# folder, with `albert_model.ckpt`, `albert_config_<size>.json` and the BERT Chinese `vocab.txt` (21128
# WordPiece tokens, lowercased). Their own code's releases ("brightmart_tf1") project only the token table
# E→H before adding H-wide position/segment embeddings; the `*_google` ones use Google's code ("google_tf1").
# Google's names (`albert_base_zh`, ...) are Google's checkpoints, so brightmart's base/large/xlarge carry a
# `_brightmart` suffix. The repository has no LICENSE file (its code carries Google's Apache-2.0 headers).
_BRIGHTMART = "https://storage.googleapis.com/albert_zh"
for _name, _file, _format, _config, _description in (
    ("albert_tiny_zh", "albert_tiny.zip", "brightmart_tf1", None,
     "brightmart albert_tiny_zh: 4 layers, H=312, E=128; about 16 MB."),
    ("albert_tiny_zh_489k", "albert_tiny_489k.zip", "brightmart_tf1", None,
     "brightmart albert_tiny_zh trained longer (489k steps), the one their scripts use."),
    ("albert_tiny_zh_google", "albert_tiny_zh_google.zip", "google_tf1", None,
     "brightmart albert_tiny_zh in Google's code and layout; about 16 MB."),
    ("albert_small_zh_google", "albert_small_zh_google.zip", "google_tf1", "albert_config_small_google.json",
     "brightmart albert_small_zh (6 layers, H=384) in Google's code and layout; about 18.5 MB."),
    ("albert_base_zh_brightmart", "albert_base_zh.zip", "brightmart_tf1", None,
     "brightmart albert_base_zh (trial release): 12 layers, H=768; about 40 MB."),
    ("albert_base_zh_brightmart_36k", "albert_base_zh_additional_36k_steps.zip", "brightmart_tf1", None,
     "brightmart albert_base_zh plus 36k steps at batch 4096; about 40 MB."),
    ("albert_large_zh_brightmart", "albert_large_zh.zip", "brightmart_tf1", "albert_config_large.json",
     "brightmart albert_large_zh: 24 layers, H=1024; about 64 MB."),
    ("albert_xlarge_zh_brightmart_183k", "albert_xlarge_zh_183k.zip", "brightmart_tf1", None,
     "brightmart albert_xlarge_zh at 183k steps, 24 layers, H=2048; about 230 MB. Their config says post-LN, "
     "a comment in their code says pre-LN: parity with their training is unverified."),
):
    REGISTRY[_name] = {
        "urls": [f"{_BRIGHTMART}/{_file}"],
        "format": _format,
        "layout": {"root": None, "config": _config, "checkpoint": None, "spm": None, "vocab": "vocab.txt"},
        "uncased": True,
        "licence": None,
        "description": _description + " WordPiece vocab.txt (BERT Chinese).",
        "homepage": "https://github.com/brightmart/albert_zh",
        "size": None,
        "sha256": None,
    }

FORMATS = ("google_tf1", "brightmart_tf1")
