"""The TF Serving configs in serving/ parse with TF Serving's protos; the compose file, the k8s manifest and the
serving image agree with them."""

import json
import os

import yaml

from serving.server.batching_config import read_batching_parameters
from serving.server.model_config import parse_model_config, read_model_config
from tests.docker_helpers import instructions
from tests.serving_fixtures import REPO

CONFIGS = os.path.join(REPO, "serving", "configs")


def test_models_config_parses_as_model_server_config():
    config = read_model_config(os.path.join(CONFIGS, "models.config"))
    (model,) = config.model_config_list.config
    assert model.name == "albert"
    assert model.base_path == "/models/albert"
    assert model.model_platform == "tensorflow"
    assert model.model_version_policy.WhichOneof("policy_choice") == "latest"
    assert model.model_version_policy.latest.num_versions == 2
    assert dict(model.version_labels) == {"stable": 1, "canary": 2}


def test_model_config_errors_are_clear():
    for text, message in (
        ("model_config_list { config { name: 'a' } }", "base_path"),
        ("model_config_list { config { name: 'a' base_path: '/m' model_platform: 'pytorch' } }",
         "model_platform"),
        ("model_config_list { bogus: 1 }", "does not parse"),
    ):
        try:
            parse_model_config(text)
        except ValueError as err:
            assert message in str(err)
        else:
            raise AssertionError(f"accepted {text!r}")


def test_batching_config_parses_as_batching_parameters():
    params = read_batching_parameters(os.path.join(CONFIGS, "batching.config"))
    assert type(params).DESCRIPTOR.full_name == "tensorflow.serving.BatchingParameters"
    assert params.max_batch_size.value == 32
    assert params.batch_timeout_micros.value == 5000
    assert params.num_batch_threads.value == 4
    assert params.pad_variable_length_inputs


def test_docker_compose_runs_tf_serving_with_the_configs():
    with open(os.path.join(REPO, "serving", "docker-compose.yml")) as f:
        compose = yaml.safe_load(f)
    (service,) = compose["services"].values()
    assert service["image"] == "tensorflow/serving:2.16.1"
    assert set(service["ports"]) == {"8500:8500", "8501:8501"}
    mounted = dict(_mount(v) for v in service["volumes"])
    assert mounted["/models/albert"].startswith("${ALBERT_MODELS")
    flags = dict(arg.lstrip("-").split("=", 1) for arg in service["command"])
    assert flags["port"] == "8500" and flags["rest_api_port"] == "8501"
    assert flags["model_config_file"] == "/config/models.config"
    assert flags["batching_parameters_file"] == "/config/batching.config"
    assert flags["enable_batching"] == "true" and flags["enable_model_warmup"] == "true"
    assert os.path.isdir(os.path.join(REPO, "serving", mounted["/config"]))


def _mount(volume):
    """Returns (target, source) of a compose volume "SRC:DST[:ro]"."""
    parts = volume.split(":")
    if parts[-1] in ("ro", "rw"):
        parts = parts[:-1]
    return parts[-1], ":".join(parts[:-1])


def _flags(args):
    return dict(arg.lstrip("-").split("=", 1) for arg in args)


def test_k8s_manifest_compose_and_serving_image_agree_with_the_serving_config():
    model = read_model_config(os.path.join(CONFIGS, "models.config")).model_config_list.config[0]
    with open(os.path.join(REPO, "serving", "k8s", "albert-serving.yaml")) as f:
        docs = {doc["kind"]: doc for doc in yaml.safe_load_all(f)}
    with open(os.path.join(REPO, "serving", "docker-compose.yml")) as f:
        (compose,) = yaml.safe_load(f)["services"].values()
    assert set(docs) == {"Deployment", "Service"}
    pod = docs["Deployment"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    flags = _flags(container["args"])
    assert container["args"] == compose["command"]  # the same server flags everywhere
    dockerfile = dict(instructions(os.path.join(REPO, "docker", "serving.Dockerfile")))
    assert json.loads(dockerfile["CMD"]) == compose["command"]

    # Ports: the flags, the container, the Service and compose name the same two.
    grpc, rest = int(flags["port"]), int(flags["rest_api_port"])
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"grpc": grpc, "rest": rest}
    service = {p["name"]: (p["port"], p["targetPort"]) for p in docs["Service"]["spec"]["ports"]}
    assert service == {"grpc": (grpc, "grpc"), "rest": (rest, "rest")}
    assert set(compose["ports"]) == {f"{grpc}:{grpc}", f"{rest}:{rest}"}
    assert dockerfile["EXPOSE"].split() == [str(grpc), str(rest)]
    assert docs["Service"]["spec"]["selector"] == docs["Deployment"]["spec"]["selector"]["matchLabels"]

    # Readiness on the model's REST status; liveness on gRPC.
    probe = container["readinessProbe"]["httpGet"]
    assert probe == {"path": f"/v1/models/{model.name}", "port": rest}
    assert container["livenessProbe"]["tcpSocket"]["port"] == grpc

    # The config files the flags name are serving/configs' files, mounted (or copied) at their directory.
    config_dir = os.path.dirname(flags["model_config_file"])
    assert os.path.dirname(flags["batching_parameters_file"]) == config_dir
    for flag in ("model_config_file", "batching_parameters_file"):
        assert os.path.isfile(os.path.join(CONFIGS, os.path.basename(flags[flag])))
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "configMap" in volumes[mounts[config_dir]]
    copied = [args.split() for op, args in instructions(os.path.join(REPO, "docker", "serving.Dockerfile"))
              if op == "COPY" and "--from" not in args]
    assert copied == [["serving/configs/models.config", "serving/configs/batching.config", config_dir + "/"]]
    assert dict(_mount(v) for v in compose["volumes"])[config_dir] == "./configs"

    # The model: mounted at the model config's base_path, read-only, from a volume.
    assert model.base_path in mounts and "persistentVolumeClaim" in volumes[mounts[model.base_path]]
    assert dict(_mount(v) for v in compose["volumes"])[model.base_path].startswith("${ALBERT_MODELS")
    resources = container["resources"]
    assert set(resources) == {"requests", "limits"} and {"cpu", "memory"} <= set(resources["limits"])
