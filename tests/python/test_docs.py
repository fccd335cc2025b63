"""The examples of docs/python.md run: its configuration files are written to a scratch folder,
each Python example runs there in a fresh interpreter, and what an example prints where a comment
says what it prints is checked."""

import os
import pathlib
import re
import subprocess
import sys

import pytest

DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "python.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.M | re.S)
PRINTS = re.compile(r"^\s*print\(.*\)\s+#\s*(.+?)\s*$")


def blocks(language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(DOC.read_text()) if lang == language]


def test_the_document_has_a_configuration_and_examples() -> None:
    files = [b for b in blocks("yaml") if b.startswith("# file: ")]
    assert files, "no '# file:' configuration in docs/python.md"
    assert len(blocks("python")) >= 5


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    target = tmp_path_factory.mktemp("python-doc")
    for body in blocks("yaml"):
        first, _, rest = body.partition("\n")
        if first.startswith("# file: "):
            (target / first[len("# file: "):].strip()).write_text(rest)
    return target


@pytest.mark.parametrize("index", range(len(blocks("python"))))
def test_each_python_example_runs(folder: pathlib.Path, index: int) -> None:
    code = blocks("python")[index]
    done = subprocess.run([sys.executable, "-c", code], cwd=folder, capture_output=True,
                          text=True, timeout=120, env=dict(os.environ))
    assert done.returncode == 0, f"example {index + 1}:\n{code}\n{done.stderr}"
    printed = [line.strip() for line in done.stdout.splitlines()]
    for line in code.splitlines():
        match = PRINTS.match(line)
        if match:
            assert match.group(1) in printed, (line, printed)
