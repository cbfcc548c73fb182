"""Reading the Dockerfiles in docker/: their instructions, their COPY lines, their install step."""

import os
import shlex
import shutil

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def instructions(path):
    """(instruction, argument text) pairs of a Dockerfile, continuation lines joined."""
    lines, current = [], ""
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not current and (not line.strip() or line.lstrip().startswith("#")):
                continue
            current += line.rstrip("\\").strip() + " "
            if not line.endswith("\\"):
                lines.append(current.strip())
                current = ""
    return [tuple(line.split(None, 1)) for line in lines]


def copy_build_context(dockerfile, dest):
    """Copies what the Dockerfile's plain COPY lines copy (relative to WORKDIR /src) into `dest`."""
    for instruction, args in instructions(dockerfile):
        if instruction != "COPY" or args.startswith("--from"):
            continue
        *sources, target = shlex.split(args)
        target_dir = os.path.join(dest, os.path.normpath(target))
        for source in sources:
            path = os.path.join(REPO, source)
            into = os.path.join(target_dir, os.path.basename(source)) if target.endswith("/") else target_dir
            if os.path.isdir(path):
                shutil.copytree(path, into, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                os.makedirs(os.path.dirname(into), exist_ok=True)
                shutil.copy2(path, into)


def install_args(dockerfile):
    """The arguments the Dockerfile's RUN gives docker/install.sh: (src, venv, extra args)."""
    for instruction, args in instructions(dockerfile):
        if instruction == "RUN" and "docker/install.sh" in args:
            words = shlex.split(args.split("&&")[0])
            after = words[words.index("docker/install.sh") + 1:]
            return after[0], after[1], after[2:]
    raise AssertionError(f"{dockerfile} RUNs no docker/install.sh")
