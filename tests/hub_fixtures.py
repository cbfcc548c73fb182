"""Checkpoints in their real released layouts, and a local server that serves them.

* `google_tarball`: the google-research tarball layout (`albert_base/` with
  `albert_config.json`, `30k-clean.model`, `30k-clean.vocab`,
  `model.ckpt-best.{index,data-00000-of-00001,meta}`), or the zh layout
  (`vocab_chinese.txt` instead of the SentencePiece files), from a reference
  model of `tests/test_convert_reference.py`.
* `hf_repo_files`: a HF repo (`config.json`, `model.safetensors`, `spiece.model`).
* `FileServer`: a threaded HTTP server on 127.0.0.1 serving plain files (with
  `Range` support and an optional dropped connection) and a stub of the
  Hugging Face Hub endpoints that `huggingface_hub.snapshot_download` calls:
  `GET /api/models/{repo}[/revision/{rev}]` (repo info with `sha` and
  `siblings`) and `HEAD`/`GET /{repo}/resolve/{rev}/{file}` (with `ETag`,
  `X-Repo-Commit` and `Content-Length`). Every request is recorded.
"""

import hashlib
import http.server
import io
import json
import os
import shutil
import socket
import tarfile
import threading
import zipfile

import numpy as np
import tensorflow as tf

from albert_keras import convert, features
from tests.test_convert_reference import (
    google_state_dict,
    hf_config_dict,
    make_reference,
    pt_state_dict,
    write_hf_dir,
    write_tf1_checkpoint,
)

SPM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "spm", "spiece.model")
# A BERT-style vocab.txt (the zh checkpoints' vocab_chinese.txt): specials, CJK characters, ## pieces.
ZH_VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "的", "是", "猫", "狗", "我", "##们", "，", "。"]


def original_config(name):
    """The `albert_config.json` (original keys) of a named reference config."""
    hf = hf_config_dict(name)
    config = {k: hf[k] for k in (
        "attention_probs_dropout_prob", "hidden_dropout_prob", "embedding_size", "hidden_size",
        "initializer_range", "intermediate_size", "max_position_embeddings", "num_attention_heads",
        "num_hidden_layers", "num_hidden_groups", "inner_group_num", "type_vocab_size", "vocab_size")}
    config.update(hidden_act="relu" if hf["hidden_act"] == "relu" else "gelu", net_structure_type=0, gap_size=0,
                  num_memory_blocks=0, down_scale_factor=1)
    return config


def write_meta_graph(tensors, path):
    """A TF1 `.meta` (MetaGraphDef with a SaverDef) declaring the checkpoint's variables."""
    graph = tf.Graph()
    with graph.as_default():
        variables = [tf.compat.v1.get_variable(name.replace(":", "_"), shape=value.shape,
                                               dtype=tf.as_dtype(value.dtype), use_resource=False)
                     for name, value in sorted(tensors.items())]
        tf.compat.v1.train.Saver(variables).export_meta_graph(path)
    return path


def google_tarball(directory, name="e_ne_h", zh=False, root="albert_base"):
    """Writes a reference's checkpoint in the released tarball layout.

    Args:
        directory: where to write (created).
        name: a config of `tests/test_convert_reference.CONFIGS`.
        zh: the Chinese layout (`vocab_chinese.txt`, no SentencePiece files).
        root: the directory inside the tarball.

    Returns:
        `(reference, tarball path, unpacked root dir)`; the reference is the
        HF TF model the checkpoint was written from.
    """
    reference = make_reference(name)
    config = original_config(name)
    tensors = google_state_dict(pt_state_dict(reference), config)
    for key in list(tensors):  # a training checkpoint, as released: LAMB slots and the step
        tensors[f"{key}/lamb_m"] = np.zeros_like(tensors[key])
        tensors[f"{key}/lamb_v"] = np.zeros_like(tensors[key])
    tensors["global_step"] = np.array(125000, "int64")
    unpacked = os.path.join(str(directory), root)
    os.makedirs(unpacked, exist_ok=True)
    prefix = write_tf1_checkpoint(tensors, os.path.join(unpacked, "model.ckpt-best"))
    write_meta_graph(tensors, prefix + ".meta")
    with open(os.path.join(unpacked, "albert_config.json"), "w") as f:
        json.dump(config, f)
    if zh:
        with open(os.path.join(unpacked, "vocab_chinese.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(ZH_VOCAB) + "\n")
    else:
        shutil.copyfile(SPM, os.path.join(unpacked, "30k-clean.model"))
        with open(os.path.join(unpacked, "30k-clean.vocab"), "w") as f:
            f.write("<pad>\t0\n<unk>\t0\n[CLS]\t0\n[SEP]\t0\n[MASK]\t0\n")
    tarball = os.path.join(str(directory), f"{root}.tar.gz")
    with tarfile.open(tarball, "w:gz") as t:
        t.add(unpacked, arcname=root)
    return reference, tarball, unpacked


def direct_google(unpacked, output=None):
    """The same checkpoint converted directly (no handle, no cache)."""
    spm = os.path.join(unpacked, "30k-clean.model")
    vocab = os.path.join(unpacked, "vocab_chinese.txt")
    return convert.from_google_checkpoint(
        os.path.join(unpacked, "model.ckpt-best"), os.path.join(unpacked, "albert_config.json"), output=output,
        spm=spm if os.path.isfile(spm) else None, vocab=vocab if os.path.isfile(vocab) else None)


def hf_repo_files(directory, name="e_eq_h"):
    """A HF repo's files (`config.json`, `model.safetensors`, `spiece.model`); returns (reference, files)."""
    reference = make_reference(name, seed=3)
    write_hf_dir(str(directory), hf_config_dict(name), pt_state_dict(reference))
    shutil.copyfile(SPM, os.path.join(str(directory), "spiece.model"))
    files = {}
    for file in sorted(os.listdir(str(directory))):
        with open(os.path.join(str(directory), file), "rb") as f:
            files[file] = f.read()
    return reference, files


def top_k_ids(model, batch, k=5):
    """Fill-mask answers: the top-k token ids at each mask position, from the MLM head."""
    logits = np.asarray(model(batch)["mlm_logits"])
    return np.argsort(-logits, axis=-1, kind="stable")[..., :k]


def backbone_batch(batch):
    return {k: batch[k] for k in (features.TOKEN_IDS, features.SEGMENT_IDS, features.PADDING_MASK)}


# === Archives for the safety tests ===


def tar_with(path, members):
    """A .tar.gz of `members`: (name, kind, payload) with kind "file" (bytes),
    "symlink" / "hardlink" (target) or "chardev"."""
    with tarfile.open(path, "w:gz") as t:
        for name, kind, payload in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(payload)
                t.addfile(info, io.BytesIO(payload))
                continue
            if kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, payload
            elif kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, payload
            elif kind == "chardev":
                info.type, info.devmajor, info.devminor = tarfile.CHRTYPE, 1, 3
            t.addfile(info)
    return path


def zip_with(path, members):
    """A .zip of `members`: (name, kind, payload) with kind "file" or "symlink"."""
    with zipfile.ZipFile(path, "w") as z:
        for name, kind, payload in members:
            info = zipfile.ZipInfo(name)
            if kind == "symlink":
                info.external_attr = (0o120777 << 16)
                z.writestr(info, payload)
            else:
                info.external_attr = (0o100644 << 16)
                z.writestr(info, payload)
    return path


def tree(root):
    """Every path under `root` (files, dirs and links), relative, sorted."""
    out = []
    for current, dirs, files in os.walk(root):
        out += [os.path.relpath(os.path.join(current, n), root) for n in dirs + files]
    return sorted(out)


# === The server ===


class FileServer:
    """A threaded HTTP server on 127.0.0.1 (see the module docstring).

    Attributes:
        files: URL path → bytes of plain files.
        hf_repos: "owner/repo" → {"sha": commit, "files": {name: bytes}}.
        requests: every request as (method, path, headers dict).
        drop_next: GETs of plain files still to cut off mid-body (then closed).
    """

    def __init__(self):
        self.files, self.hf_repos, self.requests, self.drop_next = {}, {}, [], 0
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_HEAD(self):
                server._handle(self, body=False)

            def do_GET(self):
                server._handle(self, body=True)

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._httpd.shutdown()
        self._httpd.server_close()

    def url(self, path):
        return self.base + path

    def gets(self, path=None):
        return [r for r in self.requests if r[0] == "GET" and (path is None or r[1] == path)]

    def add_hf_repo(self, repo_id, files, sha="0123456789abcdef0123456789abcdef01234567"):
        self.hf_repos[repo_id] = {"sha": sha, "files": files}

    def _send(self, handler, status, data, body, headers=None):
        handler.send_response(status)
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        if body:
            handler.wfile.write(data)

    def _handle(self, handler, body):
        path = handler.path.split("?", 1)[0]
        self.requests.append((handler.command, path, dict(handler.headers)))
        parts = path.strip("/").split("/")
        if parts[:2] == ["api", "models"] and "/".join(parts[2:4]) in self.hf_repos:
            repo = self.hf_repos["/".join(parts[2:4])]
            info = {"id": "/".join(parts[2:4]), "sha": repo["sha"],
                    "siblings": [{"rfilename": n} for n in sorted(repo["files"])]}
            return self._send(handler, 200, json.dumps(info).encode(), body, {"Content-Type": "application/json"})
        if len(parts) >= 5 and parts[2] == "resolve" and "/".join(parts[:2]) in self.hf_repos:
            repo = self.hf_repos["/".join(parts[:2])]
            name = "/".join(parts[4:])
            if name not in repo["files"]:
                return self._send(handler, 404, b"Entry not found", body, {"X-Error-Code": "EntryNotFound",
                                                                           "X-Repo-Commit": repo["sha"]})
            data = repo["files"][name]
            return self._send(handler, 200, data, body, {
                "ETag": f'"{hashlib.sha256(data).hexdigest()}"', "X-Repo-Commit": repo["sha"],
                "Content-Type": "application/octet-stream"})
        if path not in self.files:
            return self._send(handler, 404, b"not found", body)
        data = self.files[path]
        start = 0
        ranged = handler.headers.get("Range", "")
        if ranged.startswith("bytes=") and ranged.endswith("-"):
            start = int(ranged[len("bytes="):-1])
        if body and self.drop_next > 0:
            self.drop_next -= 1
            handler.send_response(200)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data[: len(data) // 2])
            handler.wfile.flush()
            handler.connection.shutdown(socket.SHUT_RDWR)
            handler.close_connection = True
            return None
        if start:
            headers = {"Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}"}
            handler.send_response(206)
            for key, value in headers.items():
                handler.send_header(key, value)
            handler.send_header("Content-Length", str(len(data) - start))
            handler.end_headers()
            if body:
                handler.wfile.write(data[start:])
            return None
        return self._send(handler, 200, data, body)
