"""Every Python block of the README runs as it stands."""

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _python_blocks():
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_has_python_examples():
    assert len(_python_blocks()) >= 1


def test_readme_python_blocks_run():
    for i, block in enumerate(_python_blocks()):
        result = subprocess.run(
            [sys.executable, "-c", block], cwd=ROOT, capture_output=True, text=True, timeout=600
        )
        assert result.returncode == 0, f"README python block {i} failed:\n{block}\n{result.stderr[-3000:]}"
