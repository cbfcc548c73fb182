"""Compiles a pipeline config to a Kubeflow Pipelines v2 / Vertex AI Pipelines JSON.

The components run in the container image `pipeline.image` (which must hold
this repository installed with the `pipeline` extra); paths in the config
should be `gs://...` for a real Vertex run. No MLMD connection is given:
Vertex provides it.
"""

import os

try:
    from tfx.orchestration.kubeflow.v2.kubeflow_v2_dag_runner import KubeflowV2DagRunner, KubeflowV2DagRunnerConfig
except ImportError as e:
    raise ImportError(
        "Compiling for Kubeflow v2 / Vertex needs the kfp-pipeline-spec package "
        "(pip install 'kfp-pipeline-spec==0.2.2', the version that works with protobuf 3.20)"
    ) from e

from pipeline.config import PipelineConfig
from pipeline.pipeline import create_pipeline


def compile_pipeline(config: PipelineConfig, output_file: str) -> str:
    """Writes the KFP v2 pipeline spec JSON of a loaded config to `output_file`.

    Returns:
        `output_file`.
    """
    directory = os.path.dirname(os.path.abspath(output_file))
    os.makedirs(directory, exist_ok=True)
    runner = KubeflowV2DagRunner(
        config=KubeflowV2DagRunnerConfig(default_image=config.pipeline.image),
        output_dir=directory,
        output_filename=os.path.basename(output_file),
    )
    runner.run(create_pipeline(config, metadata_connection_config=None))
    return output_file
