"""The layout the documents describe is the code's: the layer order written once (the import
contract in pyproject.toml) and repeated by the README, CONTRIBUTING and docs/design.md;
every module in the design's map; functions and modules within the lengths CONTRIBUTING
promises."""

import ast
import re
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "bert_keras"
MAX_FUNCTION_LINES = 60  # of code: the docstring aside
MAX_MODULE_LINES = 300


def contract_layers() -> list[str]:
    """The layers from the bottom, as the import contract lists them."""
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (layers,) = [c["layers"] for c in contracts["contracts"] if c["type"] == "layers"]
    return [name.removeprefix("bert_keras.") for name in reversed(layers)]


def named_layers(document: str, opening: str) -> list[str]:
    """The layers a document names, in its order, in the sentence that starts with
    `opening`: every `name` in backquotes up to the sentence's end."""
    text = (ROOT / document).read_text(encoding="utf-8")
    start = text.index(opening) + len(opening)
    sentence = re.split(r"[;.]\s", text[start:], maxsplit=1)[0]
    return re.findall(r"`(\w+)`", sentence)


@pytest.mark.parametrize(
    "document, opening, from_top",
    [
        ("README.md", "Layers, from the bottom:", False),
        ("CONTRIBUTING.md", "Layers from the bottom:", False),
        ("docs/design.md", "The layers, from the top:", True),
    ],
)
def test_each_document_names_the_contracts_layers_in_its_order(document, opening, from_top):
    named = named_layers(document, opening)
    assert (named[::-1] if from_top else named) == contract_layers()


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py")


def test_the_design_map_names_every_module_under_its_subpackage():
    block = re.search(r"```text\n(.*?)```", (ROOT / "docs/design.md").read_text(), re.S).group(1)
    sections = re.split(r"\n  (?=\w+/|\w+\.py)", block)  # one entry of the package each
    by_room = {section.split()[0]: section for section in sections}
    missing = []
    for path in modules():
        room = path.relative_to(PACKAGE).parts
        entry = by_room.get(f"{room[0]}/" if len(room) > 1 else room[0], "")
        if path.name not in entry:
            missing.append(str(path.relative_to(ROOT)))
    assert not missing, f"not in docs/design.md: {missing}"


def code_lines(function: ast.FunctionDef) -> int:
    lines = function.end_lineno - function.lineno + 1
    first = function.body[0]
    if isinstance(first, ast.Expr) and isinstance(getattr(first, "value", None), ast.Constant):
        if isinstance(first.value.value, str):
            lines -= first.end_lineno - first.lineno + 1
    return lines


def sources() -> list[Path]:
    """The package's modules, the scripts and the tests."""
    return [
        *PACKAGE.rglob("*.py"),
        *(ROOT / "scripts").rglob("*.py"),
        *(ROOT / "tests").rglob("*.py"),
    ]


def test_functions_and_modules_stay_within_their_lengths():
    long_functions, long_modules = [], []
    for path in sources():
        text = path.read_text(encoding="utf-8")
        where = path.relative_to(ROOT)
        if len(text.splitlines()) > MAX_MODULE_LINES:
            long_modules.append(f"{where}: {len(text.splitlines())}")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if code_lines(node) > MAX_FUNCTION_LINES:
                    long_functions.append(f"{where}:{node.lineno} {node.name}: {code_lines(node)}")
    assert not long_functions, f"functions over {MAX_FUNCTION_LINES} lines: {long_functions}"
    assert not long_modules, f"modules over {MAX_MODULE_LINES} lines: {long_modules}"
