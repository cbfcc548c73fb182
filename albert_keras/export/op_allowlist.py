"""Which TF ops an exported SavedModel may use, and `check_ops` to enforce it.

Stock TF Serving (2.12 to 2.19) links TensorFlow core plus the kernels of
TF Text 2.12.1 (its `@org_tensorflow_text//tensorflow_text:ops_lib`; every
tensorflow/serving tag from 2.12.0 to 2.19.0 pins
`https://github.com/tensorflow/text/archive/v2.12.1.zip` in
`tensorflow_serving/workspace.bzl`). A SavedModel that uses any other op
fails to load there with "Op type not registered". So every op in the
exported graph, including the bodies of its functions, must be:

* a TensorFlow core op: registered in a fresh Python process that imports
  `tensorflow` but not `tensorflow_text` (checked in a subprocess, because
  the exporting process has already imported `tensorflow_text`); or
* one of `TF_TEXT_2_12_OPS` below.

Where `TF_TEXT_2_12_OPS` comes from: tensorflow/text tag v2.12.1, commit
f8dee2d8b556df562d0086a18b7587702fa99eaf (2023-04-11; also the head of the
2.12 branch; `__version__ = "2.12.1"`). It is exactly the set of ops that
`tensorflow_text:ops_lib` registers there, extracted as follows: take the
`*_cc` deps of `ops_lib` in `tensorflow_text/BUILD`; map each to the
`cc_op_defs` files (under `tensorflow_text/core/ops/`) of its
`py_tf_text_library`; in those files collect every `REGISTER_OP("...")`
name, and for every `REGISTER_TF_OP_SHIM(Kernel)` the `kOpName` of the
TFLite-shim op class that `Kernel` wraps (`TfOpKernel<...Op>`, defined in
`tensorflow_text/core/kernels/*_kernel_template.h`). That gives 35 ops: 23
from `REGISTER_OP` and 12 from shims. The same extraction at tag v2.16.1
gives exactly the 38 ops that the installed tensorflow-text 2.16.1 adds to
the registry, which checks the method.

Ops that the tests must reject (`KNOWN_TOO_NEW`): ``TFText>RoundRobinTrim``
and ``TFText>RoundRobinGenerateMasks``. At v2.12.1 their kernels and
`core/ops/trimmer_ops.cc` exist, but that file is compiled only into a
`cc_test`, not into `ops_lib` (the 2.12.1 Python `RoundRobinTrimmer` is
pure Python); `ops_lib` gains them, and ``TFText>Utf8Binarize``, later
(they are in 2.16.1). So TF Serving does not have them.

Caveat: "core" means core in the installed TensorFlow (2.16). A core op
added after TF 2.12 would pass this check but not load in TF Serving 2.12;
the exporter only emits long-standing ops (string, ragged, gather, top-k,
softmax, matmul, parse-example ...), which the tests list.
"""

import hashlib
import json
import logging
import os
import subprocess
import sys

import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

# Every op `tensorflow_text:ops_lib` registers at tensorflow/text v2.12.1
# (f8dee2d8), grouped by the `cc_op_defs` file under tensorflow_text/core/ops/.
TF_TEXT_2_12_OPS = frozenset(
    {
        # sentencepiece_ops.cc (REGISTER_OP).
        "SentencepieceOp",
        "SentencepieceTokenizeOp",
        "SentencepieceTokenizeWithOffsetsOp",
        "SentencepieceDetokenizeOp",
        "SentencepieceVocabSizeOp",
        "SentencepieceIdToStringOp",
        "SentencepieceStringToIdOp",
        # fast_sentencepiece_ops.cc (REGISTER_OP).
        "TFText>FastSentencepieceTokenize",
        "TFText>FastSentencepieceDetokenize",
        # normalize_ops.cc (REGISTER_OP).
        "CaseFoldUTF8",
        "NormalizeUTF8",
        "NormalizeUTF8WithOffsetsMap",
        "FindSourceOffsets",
        # fast_bert_normalizer_op.cc (shim).
        "FastBertNormalize",
        # regex_split_ops.cc (REGISTER_OP).
        "RegexSplitWithOffsets",
        # whitespace_tokenize_op.cc (REGISTER_OP), whitespace_tokenizer_op.cc (shim).
        "WhitespaceTokenizeWithOffsets",
        "TFText>WhitespaceTokenizeWithOffsetsV2",
        # unicode_script_tokenize_op.cc (REGISTER_OP).
        "UnicodeScriptTokenizeWithOffsets",
        # wordpiece_op.cc (REGISTER_OP).
        "WordpieceTokenizeWithOffsets",
        # fast_wordpiece_tokenizer_op.cc (shim).
        "FastWordpieceTokenizeWithOffsets",
        "TFText>FastWordpieceDetokenize",
        # phrase_tokenizer_op.cc (shim).
        "PhraseTokenize",
        "TFText>PhraseDetokenize",
        # byte_splitter_op.cc (shim).
        "TFText>ByteSplitWithOffsets",
        "TFText>ByteSplitByOffsets",
        # split_merge_tokenize_op.cc, tokenizer_from_logits_op.cc (REGISTER_OP).
        "SplitMergeTokenizeWithOffsets",
        "TokenizerFromLogits",
        # sentence_breaking_ops.cc (REGISTER_OP), sentence_fragmenter_v2_op.cc (shim).
        "SentenceFragments",
        "SentenceFragmentsV2",
        # boise_offset_converter_op.cc (shim).
        "TFText>OffsetsToBoiseTags",
        "TFText>BoiseTagsToOffsets",
        # ngrams_op.cc (shim).
        "TFText>NgramsStringJoin",
        # constrained_sequence_op.cc, mst_ops.cc, rouge_l_op.cc (REGISTER_OP).
        "ConstrainedSequence",
        "MaxSpanningTree",
        "RougeL",
    }
)

# Ops the installed tensorflow-text (2.16.1) registers that v2.12.1's
# `ops_lib` does not: never allowed, even if a future edit adds them above.
KNOWN_TOO_NEW = frozenset(
    {
        "TFText>RoundRobinTrim",
        "TFText>RoundRobinGenerateMasks",
        "TFText>Utf8Binarize",
    }
)
assert not TF_TEXT_2_12_OPS & KNOWN_TOO_NEW

_CORE_OPS = None

_CORE_OPS_SCRIPT = r"""
import json, sys
import tensorflow  # noqa: F401  (registers the core ops)
from tensorflow.core.framework import op_def_pb2
from tensorflow.python.client import pywrap_tf_session as c_api
from tensorflow.python.util import compat
assert "tensorflow_text" not in sys.modules, "tensorflow_text got imported"
buf = c_api.TF_GetAllOpList()
ops = op_def_pb2.OpList()
ops.ParseFromString(compat.as_bytes(c_api.TF_GetBuffer(buf)))
c_api.TF_DeleteBuffer(buf)
json.dump(sorted(o.name for o in ops.op), sys.stdout)
"""


_PENDING = None


def _cache_file() -> str:
    """Where the core-op list of this TensorFlow install is kept between processes.

    Under `$ALBERT_KERAS_HOME` (default ``~/.cache/albert_keras``), named by
    the TF version and a hash of the installed package's path and
    modification time, so another install or an upgrade lists them again.
    """
    package = os.path.dirname(tf.__file__)
    stamp = f"{package}:{os.stat(package).st_mtime_ns}:{tf.__version__}"
    digest = hashlib.sha256(stamp.encode()).hexdigest()[:16]
    home = os.environ.get("ALBERT_KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".cache", "albert_keras")
    return os.path.join(home, "core_ops", f"tf-{tf.__version__}-{digest}.json")


def _read_cache() -> frozenset[str] | None:
    try:
        with open(_cache_file()) as f:
            ops = json.load(f)
    except (OSError, ValueError):
        return None
    return frozenset(ops) if isinstance(ops, list) and len(ops) > 100 else None


def _write_cache(ops: frozenset[str]) -> None:
    path = _cache_file()
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            json.dump(sorted(ops), f)
        os.replace(tmp, path)
    except OSError as e:  # a read-only home: list them again next time
        logging.getLogger(__name__).info("Could not cache the core op list at %s: %s", path, e)


def prefetch_core_ops() -> None:
    """Starts listing the core ops in the background (`core_ops` collects it)."""
    global _CORE_OPS, _PENDING
    if _CORE_OPS is None and _PENDING is None:
        _CORE_OPS = _read_cache()
    if _CORE_OPS is None and _PENDING is None:
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
        _PENDING = subprocess.Popen(
            [sys.executable, "-c", _CORE_OPS_SCRIPT],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )


def core_ops() -> frozenset[str]:
    """The op names TensorFlow core registers (without TF Text); cached.

    Runs a subprocess that imports only `tensorflow`, because the calling
    process usually has `tensorflow_text` (and its ops) loaded; the list is
    kept on disk (`_cache_file`), so that happens once per TF install.
    """
    global _CORE_OPS, _PENDING
    if _CORE_OPS is None:
        prefetch_core_ops()  # reads the cache, else starts the listing
    if _CORE_OPS is None:
        process, _PENDING = _PENDING, None
        stdout, stderr = process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"Listing the TensorFlow core ops failed:\n{stderr[-2000:]}")
        _CORE_OPS = frozenset(json.loads(stdout))
        _write_cache(_CORE_OPS)
    return _CORE_OPS


def saved_model_ops(saved_model_dir: str) -> list[str]:
    """Every op type used by a SavedModel, in the graphs and all functions.

    Calls of library functions (nodes whose op is a function name) are not
    ops and are left out.

    Returns:
        A sorted list of op names.
    """
    with open(os.path.join(saved_model_dir, "saved_model.pb"), "rb") as f:
        saved_model = saved_model_pb2.SavedModel.FromString(f.read())
    ops = set()
    functions = set()
    for meta_graph in saved_model.meta_graphs:
        graph = meta_graph.graph_def
        ops.update(node.op for node in graph.node)
        for function in graph.library.function:
            functions.add(function.signature.name)
            ops.update(node.op for node in function.node_def)
    return sorted(ops - functions)


def disallowed_ops(saved_model_dir: str) -> list[str]:
    """The ops of the SavedModel that stock TF Serving would not have."""
    core = core_ops()
    return [
        op
        for op in saved_model_ops(saved_model_dir)
        if op in KNOWN_TOO_NEW or (op not in core and op not in TF_TEXT_2_12_OPS)
    ]


def check_ops(saved_model_dir: str) -> list[str]:
    """Raises ValueError if the SavedModel uses an op outside the allowlist.

    Returns:
        The sorted list of ops used (all allowed).
    """
    bad = disallowed_ops(saved_model_dir)
    if bad:
        raise ValueError(
            f"The SavedModel {saved_model_dir} uses ops that stock TF Serving (TF core + TF Text 2.12.1) "
            f"does not have: {bad}. See albert_keras/export/op_allowlist.py."
        )
    return saved_model_ops(saved_model_dir)
