"""Which TF ops an exported SavedModel may use, and `check_ops` to enforce it.

Stock TF Serving (2.12 to 2.19) links TensorFlow core plus the kernels of
TF Text 2.12.1 (its `tensorflow_text:ops_lib`). A SavedModel that uses any
other op fails to load there with "Op type not registered". So every op in
the exported graph, including the bodies of its functions, must be:

* a TensorFlow core op: registered in a fresh Python process that imports
  `tensorflow` but not `tensorflow_text` (checked in a subprocess, because
  the exporting process has already imported `tensorflow_text`); or
* one of `TF_TEXT_2_12_OPS` below.

`TF_TEXT_2_12_OPS` is written out by hand. Where it comes from: the op
registrations (`REGISTER_OP(...)`) under `tensorflow_text/core/ops/` of the
TF Text v2.12.1 tag, cross-checked against the ops that the installed
tensorflow-text 2.16.1 adds to the registry (the names below are the subset
of those that existed in 2.12 and are not TFLite-style ``TFText>`` ops).
It is deliberately conservative: ops we are not sure TF Serving's bundled TF
Text 2.12.1 has are left out, notably every ``TFText>...`` op
(``TFText>RoundRobinTrim``, ``TFText>RoundRobinGenerateMasks``,
``TFText>FastSentencepieceTokenize``/``Detokenize``,
``TFText>WhitespaceTokenizeWithOffsetsV2``, ``TFText>ByteSplitWithOffsets``,
``TFText>NgramsStringJoin``, ...), ``FastBertNormalize``,
``FastWordpieceTokenizeWithOffsets`` and ``PhraseTokenize``.

Caveat: "core" means core in the installed TensorFlow (2.16). A core op
added after TF 2.12 would pass this check but not load in TF Serving 2.12;
the exporter only emits long-standing ops (string, ragged, gather, top-k,
softmax, matmul, parse-example ...), which the tests list.
"""

import json
import os
import subprocess
import sys

from tensorflow.core.protobuf import saved_model_pb2

# The ops TF Text 2.12.1 registers that the exported graphs may use.
TF_TEXT_2_12_OPS = frozenset(
    {
        # SentencePiece (tensorflow_text/core/ops/sentencepiece_ops.cc).
        "SentencepieceOp",
        "SentencepieceTokenizeOp",
        "SentencepieceTokenizeWithOffsetsOp",
        "SentencepieceDetokenizeOp",
        "SentencepieceVocabSizeOp",
        "SentencepieceIdToStringOp",
        "SentencepieceStringToIdOp",
        # Normalization (normalize_ops.cc).
        "CaseFoldUTF8",
        "NormalizeUTF8",
        "NormalizeUTF8WithOffsetsMap",
        "FindSourceOffsets",
        # Splitting and tokenizers.
        "RegexSplitWithOffsets",
        "WhitespaceTokenizeWithOffsets",
        "UnicodeScriptTokenizeWithOffsets",
        "WordpieceTokenizeWithOffsets",
        "SplitMergeTokenizeWithOffsets",
        "TokenizerFromLogits",
        "SentenceFragments",
        "SentenceFragmentsV2",
        # Others.
        "ConstrainedSequence",
        "MaxSpanningTree",
        "RougeL",
    }
)

# Ops that must never be allowed, even if a future edit adds them above.
KNOWN_TOO_NEW = frozenset(
    {
        "TFText>RoundRobinTrim",
        "TFText>RoundRobinGenerateMasks",
        "TFText>FastSentencepieceTokenize",
        "TFText>FastSentencepieceDetokenize",
        "FastBertNormalize",
        "FastWordpieceTokenizeWithOffsets",
        "TFText>FastWordpieceDetokenize",
        "PhraseTokenize",
        "TFText>PhraseDetokenize",
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


def prefetch_core_ops():
    """Starts listing the core ops in the background (`core_ops` collects it)."""
    global _PENDING
    if _CORE_OPS is None and _PENDING is None:
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
        _PENDING = subprocess.Popen(
            [sys.executable, "-c", _CORE_OPS_SCRIPT],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )


def core_ops():
    """The op names TensorFlow core registers (without TF Text); cached.

    Runs a subprocess that imports only `tensorflow`, because the calling
    process usually has `tensorflow_text` (and its ops) loaded.
    """
    global _CORE_OPS, _PENDING
    if _CORE_OPS is None:
        prefetch_core_ops()
        process, _PENDING = _PENDING, None
        stdout, stderr = process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"Listing the TensorFlow core ops failed:\n{stderr[-2000:]}")
        _CORE_OPS = frozenset(json.loads(stdout))
    return _CORE_OPS


def saved_model_ops(saved_model_dir):
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


def disallowed_ops(saved_model_dir):
    """The ops of the SavedModel that stock TF Serving would not have."""
    core = core_ops()
    return [
        op
        for op in saved_model_ops(saved_model_dir)
        if op in KNOWN_TOO_NEW or (op not in core and op not in TF_TEXT_2_12_OPS)
    ]


def check_ops(saved_model_dir):
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
