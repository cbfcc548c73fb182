"""A fresh venv built exactly as the pipeline image builds it runs the pipeline (slow: about 90 s).

docker/pipeline.Dockerfile copies the sources into /src and RUNs docker/install.sh. This test copies the same
paths (read off the Dockerfile's COPY lines) into a temp dir, runs the same script with the same arguments, from
uv's cache (UV_OFFLINE=1: no network; the image build downloads instead and also sets UV_COMPILE_BYTECODE=1),
then runs the image's own check, docker/smoke_check.py, in that venv from outside the source tree: the TF Text
ops register, every module of the installed `pipeline` package imports, and the Trainer's `run_fn` trains and
exports a model whose `fill_mask` runs, its examples, ModelRun and Model at remote URIs as on Vertex AI
(`ram://`, TensorFlow's in-memory file system, standing for gs://).
"""

import json
import os
import subprocess
import sys
import time

import pytest

from tests.docker_helpers import copy_build_context, install_args

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCKERFILE = os.path.join(REPO, "docker", "pipeline.Dockerfile")
IMAGE_SRC = "/src"  # the Dockerfile's WORKDIR, where COPY puts the sources

pytestmark = pytest.mark.slow


def test_fresh_venv_built_like_the_pipeline_image_runs_the_trainer(tmp_path):
    uv = os.path.join(os.path.dirname(sys.executable), "uv")
    if not os.path.exists(uv):
        pytest.skip(f"uv is not in the dev venv ({uv}); `make setup` installs it")
    src_arg, venv_arg, extra = install_args(DOCKERFILE)
    assert src_arg == IMAGE_SRC and extra == []
    src, venv = tmp_path / "src", tmp_path / "venv"
    copy_build_context(DOCKERFILE, str(src))
    assert (src / "requirements.lock").is_file() and (src / "pipeline" / "pipeline.py").is_file()

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(UV_OFFLINE="1", UV=uv, PYTHON=os.path.join(sys.base_prefix, "bin", "python3.10"))
    start = time.perf_counter()
    install = subprocess.run(["bash", str(src / "docker" / "install.sh"), str(src), str(venv)],
                             env=env, capture_output=True, text=True, timeout=300)
    install_s = time.perf_counter() - start
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    assert "All installed packages are compatible" in install.stdout + install.stderr

    python = str(venv / "bin" / "python")
    start = time.perf_counter()
    check = subprocess.run([python, str(src / "docker" / "smoke_check.py"), str(tmp_path / "work")],
                           cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=400)
    check_s = time.perf_counter() - start
    assert check.returncode == 0, check.stderr[-5000:]
    seen = json.loads(check.stdout.strip().splitlines()[-1])
    print(f"install.sh {install_s:.1f} s, smoke_check.py {check_s:.1f} s {seen['seconds']}")

    site = str(venv / "lib" / "python3.10" / "site-packages")
    assert seen["python"] == python
    assert seen["pipeline_file"].startswith(site) and seen["albert_keras_file"].startswith(site)
    assert seen["ops_before_tensorflow_text"] == {"SentencepieceOp": False, "SentencepieceTokenizeOp": False}
    assert seen["ops_after_tensorflow_text"] == {"SentencepieceOp": True, "SentencepieceTokenizeOp": True}
    source_modules = {
        "pipeline." + os.path.relpath(os.path.join(d, f), os.path.join(REPO, "pipeline"))[:-3].replace(os.sep, ".")
        for d, _, files in os.walk(os.path.join(REPO, "pipeline")) for f in files if f.endswith(".py")
    }
    source_modules = {m[: -len(".__init__")] if m.endswith(".__init__") else m for m in source_modules} - {"pipeline"}
    assert set(seen["modules"]) == source_modules  # the wheel ships, and the venv imports, every module
    assert seen["vertex_trainer"] == "Trainer"
    assert {"saved_model.pb", "variables", "assets.extra"} <= set(seen["serving_files"])
    assert {"config.json", "model.weights.h5", "spiece.model"} <= set(seen["model_dir_files"])
    assert {"metrics.json", "model", "checkpoints"} <= set(seen["model_run_files"])  # the ModelRun, uploaded
    assert seen["fill_mask"]["top_k_tokens"] == [1, 1, 5] and seen["fill_mask"]["top_k_scores"] == [1, 1, 5]
