"""The production path's pieces that run without a cloud or Docker (fast).

`make image` (docker/build.sh) against a missing Docker and against a stand-in `docker` that records its
arguments; the Dockerfiles' install steps; a non-chief Vertex worker waiting for the chief's export.
(The venv the pipeline image builds: tests/test_production_image.py. The compiled Vertex spec:
tests/test_pipeline_compile.py. The serving manifests: tests/test_serving_configs.py.)
"""

import os
import subprocess
import threading
import time

import pytest

from tests.docker_helpers import install_args, instructions

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCKER_DIR = os.path.join(REPO, "docker")
RECORDING_DOCKER = """#!/usr/bin/env bash
echo "$*" >> "{log}"
{fail_info}
"""


def _make_image(tmp_path, docker, *make_args, **env):
    full_env = dict(os.environ, DOCKER=docker, **env)
    return subprocess.run(["make", "-s", "-C", REPO, *make_args], env=full_env, capture_output=True, text=True,
                          timeout=60)


def _recording_docker(tmp_path, fail_info=False):
    log = tmp_path / "docker.log"
    script = tmp_path / "docker"
    script.write_text(RECORDING_DOCKER.format(log=log, fail_info='[ "$1" = info ] && exit 1' if fail_info else ""))
    script.chmod(0o755)
    return str(script), log


def test_make_image_without_docker_says_so(tmp_path):
    result = _make_image(tmp_path, str(tmp_path / "no-such-docker"), "image")
    assert result.returncode != 0
    assert "needs Docker" in result.stderr and "is not on PATH" in result.stderr
    assert "docs/production.md" in result.stderr


def test_make_image_without_a_daemon_says_so(tmp_path):
    docker, log = _recording_docker(tmp_path, fail_info=True)
    result = _make_image(tmp_path, docker, "image")
    assert result.returncode != 0
    assert "Docker daemon is not running" in result.stderr
    assert log.read_text().split("\n")[:-1] == ["info"]  # nothing was built


def test_make_push_images_builds_then_pushes_every_image(tmp_path):
    docker, log = _recording_docker(tmp_path)
    result = _make_image(tmp_path, docker, "push-images", REGISTRY="registry.test/proj", TAG="t7")
    assert result.returncode == 0, result.stderr
    calls = log.read_text().splitlines()
    assert calls[0] == "info"
    assert calls[1:5] == [
        "build -f docker/pipeline.Dockerfile -t registry.test/proj/albert-keras:t7 .",
        "build -f docker/gpu.Dockerfile -t registry.test/proj/albert-keras-gpu:t7 .",
        "build -f docker/tpu.Dockerfile --build-arg BASE_IMAGE=registry.test/proj/albert-keras:t7 "
        "-t registry.test/proj/albert-keras-tpu:t7 .",
        "build -f docker/serving.Dockerfile --target serving -t registry.test/proj/albert-serving:t7 .",
    ]
    assert calls[5:] == [f"push registry.test/proj/{name}:t7"
                         for name in ("albert-keras", "albert-keras-gpu", "albert-keras-tpu", "albert-serving")]
    for call in calls[1:5]:  # every Dockerfile named exists
        assert os.path.isfile(os.path.join(REPO, call.split()[2]))


def test_build_script_builds_one_image_with_local_names(tmp_path):
    docker, log = _recording_docker(tmp_path)
    result = subprocess.run(["bash", os.path.join(DOCKER_DIR, "build.sh"), "serving"], env=dict(os.environ,
                            DOCKER=docker), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert log.read_text().splitlines()[1:] == [
        "build -f docker/serving.Dockerfile --target serving -t albert-serving:latest ."]
    bad = subprocess.run(["bash", os.path.join(DOCKER_DIR, "build.sh"), "cuda"], env=dict(os.environ, DOCKER=docker),
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "unknown image cuda" in bad.stderr


def test_pipeline_and_gpu_images_run_the_same_install_step():
    pipeline_file = os.path.join(DOCKER_DIR, "pipeline.Dockerfile")
    gpu_file = os.path.join(DOCKER_DIR, "gpu.Dockerfile")
    assert install_args(pipeline_file) == ("/src", "/opt/venv", [])
    assert install_args(gpu_file) == ("/src", "/opt/venv", ["--gpu"])

    def copies(path):
        return [args for instruction, args in instructions(path) if instruction == "COPY" and "--from" not in args]

    assert copies(pipeline_file) == copies(gpu_file)
    for instruction, args in instructions(pipeline_file):
        if instruction == "ENV" and "RUN_PYTHON_SDK_IN_DEFAULT_ENVIRONMENT" in args:
            break
    else:
        raise AssertionError("the pipeline image must keep Beam's boot on /opt/venv's Python")
    assert ("ENTRYPOINT", '["/opt/apache/beam/boot"]') in instructions(pipeline_file)
    tpu = instructions(os.path.join(DOCKER_DIR, "tpu.Dockerfile"))
    assert ("FROM", "${BASE_IMAGE}") in tpu and any("tensorflow-tpu==" in args for _, args in tpu)


def test_install_script_rejects_bad_arguments(tmp_path):
    script = os.path.join(DOCKER_DIR, "install.sh")
    usage = subprocess.run(["bash", script, str(tmp_path)], capture_output=True, text=True, timeout=30)
    assert usage.returncode == 2 and "usage:" in usage.stderr


@pytest.fixture(scope="module")
def model_artifact():
    from pipeline.trainer import model_artifact

    return model_artifact


def test_non_chief_worker_waits_for_the_chief_export(tmp_path, model_artifact):
    serving = tmp_path / "Format-Serving"

    def chief_exports():
        time.sleep(0.3)
        serving.mkdir()
        (serving / "saved_model.pb").write_bytes(b"pb")

    thread = threading.Thread(target=chief_exports)
    start = time.monotonic()
    thread.start()
    model_artifact.wait_for_chief_export(str(serving), timeout_s=30, poll_s=0.05)
    thread.join()
    assert 0.3 <= time.monotonic() - start < 10


def test_non_chief_worker_gives_up_when_the_chief_never_exports(tmp_path, model_artifact):
    serving = tmp_path / "Format-Serving"
    serving.mkdir()  # the dir alone (an export under way) is not the export
    with pytest.raises(TimeoutError, match="The chief wrote no SavedModel to .*Format-Serving"):
        model_artifact.wait_for_chief_export(str(serving), timeout_s=0.2, poll_s=0.05)


def test_remote_dirs_round_trip_through_a_uri_scheme(tmp_path):
    """ram:// (TensorFlow's in-memory file system) stands for gs:// here."""
    import tensorflow as tf

    from pipeline import remote

    local = tmp_path / "out"
    (local / "sub").mkdir(parents=True)
    (local / "a.txt").write_text("a")
    (local / "sub" / "b.bin").write_bytes(b"\x00b")
    remote.upload_dir(str(local), "ram://prod-test/run")
    assert sorted(tf.io.gfile.listdir("ram://prod-test/run")) == ["a.txt", "sub"]
    copy = remote.local_copy("ram://prod-test/run")
    assert open(os.path.join(copy, "a.txt")).read() == "a"
    assert open(os.path.join(copy, "sub", "b.bin"), "rb").read() == b"\x00b"
    assert remote.local_copy(str(local)) == str(local)  # a local dir is used in place
    with remote.writable_dir("ram://prod-test/vocab") as out:
        assert not remote.is_remote(out)
        open(os.path.join(out, "spiece.model"), "wb").write(b"pb")
    assert tf.io.gfile.exists("ram://prod-test/vocab/spiece.model") and not os.path.exists(out)
    with pytest.raises(RuntimeError), remote.writable_dir("ram://prod-test/failed") as out:
        open(os.path.join(out, "x"), "w").write("x")
        raise RuntimeError("the step failed")
    assert not tf.io.gfile.exists("ram://prod-test/failed/x")  # nothing half-written is uploaded
    assert remote.parent("gs://bucket/root/Format-Serving/") == "gs://bucket/root"
    assert remote.parent("/a/b/c") == "/a/b"
    with pytest.raises(FileNotFoundError, match="No directory at 'ram://prod-test/none'"):
        remote.local_copy("ram://prod-test/none")


def test_remote_model_artifact_and_vocabulary_are_read_from_local_copies(tmp_path, model_artifact):
    from pipeline import remote
    from pipeline.components.pretraining_beam import PretrainingExamplesDoFn

    spm = os.path.join(REPO, "tests", "data", "spm")
    artifact = "ram://prod-test/Trainer/model/7"
    model_dir = tmp_path / "model_dir"
    model_dir.mkdir()
    (model_dir / "config.json").write_text("{}")
    remote.upload_dir(str(model_dir), f"{artifact}/{model_artifact.MODEL_DIR_NAME}")
    assert model_artifact.model_dir_of(f"{artifact}/Format-Serving") == f"{artifact}/AlbertModelDir"
    for path in (artifact, f"{artifact}/Format-Serving"):
        assert model_artifact.resolve_model_dir(path) == f"{artifact}/AlbertModelDir"
        local = model_artifact.local_model_dir(path)
        assert not remote.is_remote(local) and os.path.isfile(os.path.join(local, "config.json"))

    remote.upload_dir(spm, "ram://prod-test/examples/vocab")  # a Dataflow worker's DoFn gets a gs:// vocabulary
    dofn = PretrainingExamplesDoFn("ram://prod-test/examples/vocab", sequence_length=16, max_predictions=2)
    dofn.setup()
    in_place = PretrainingExamplesDoFn(spm, sequence_length=16, max_predictions=2)
    in_place.setup()
    assert dofn.tokenize(["hello world."]) == in_place.tokenize(["hello world."]) != [[]]
