"""Runs a pipeline config with the LocalDagRunner.

ML Metadata is a SQLite file under the pipeline root
(``<root>/metadata.sqlite``); Beam runs the DirectRunner in multi-processing
mode with 2 workers unless `in_memory` or other `beam_args` are given
(``--runner=DataflowRunner ...``, ``--runner=FlinkRunner ...`` pass through).
"""

import os
import time
from collections.abc import Iterable

from tfx import v1 as tfx

from pipeline.config import PipelineConfig
from pipeline.pipeline import create_pipeline
from pipeline.progress import component_progress

IN_MEMORY_BEAM_ARGS = ("--direct_running_mode=in_memory", "--direct_num_workers=1")
METADATA_FILE = "metadata.sqlite"


def metadata_path(pipeline_root: str) -> str:
    """The SQLite MLMD file of a pipeline root."""
    return os.path.join(pipeline_root, METADATA_FILE)


def beam_args_for(config: PipelineConfig, in_memory: bool = False, extra_args: Iterable[str] = ()) -> list[str]:
    """The Beam args: the config's (or in-memory ones), then `extra_args`."""
    base = list(IN_MEMORY_BEAM_ARGS) if in_memory else list(config.beam.args)
    return base + list(extra_args)


def run(config: PipelineConfig, in_memory: bool = False, beam_args: Iterable[str] = ()) -> float:
    """Builds the pipeline of a loaded config and runs it locally.

    Args:
        config: a `PipelineConfig` from `pipeline.config.load_config`.
        in_memory: Beam DirectRunner in-memory mode (one process).
        beam_args: more Beam args, appended.

    Returns:
        The wall time in seconds.
    """
    root = config.pipeline.root
    os.makedirs(root, exist_ok=True)
    metadata = tfx.orchestration.metadata.sqlite_metadata_connection_config(metadata_path(root))
    pipeline = create_pipeline(
        config, metadata_connection_config=metadata, beam_pipeline_args=beam_args_for(config, in_memory, beam_args)
    )
    start = time.monotonic()
    with component_progress():  # one console line per component
        tfx.orchestration.LocalDagRunner().run(pipeline)
    return time.monotonic() - start
