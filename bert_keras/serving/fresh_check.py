"""The export check: a version loaded back must give the probabilities of the model in
memory. By default it is loaded in a fresh Python process, where nothing of the
training process can help it:

    python -m bert_keras.serving.fresh_check CHECKS_JSON   (what the check runs)

One process checks both versions of an export: the core-ops-only one first, where TF
Text's ops were never registered (as a server without them), then TF Text is imported
for the signature that reads text.
`fresh=False` loads it back in this process instead: seconds quicker, and it still
catches a version that does not reproduce the model, but not an op a server would lack.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from bert_keras.errors import SelfCheckFailed

TOLERANCE = 1e-5


def check_of(
    export_dir: Path, signature: str, inputs: dict, expected, needs_tensorflow_text: bool
) -> dict:
    """What a check compares: `signature` of `export_dir` on `inputs` (name -> list,
    JSON-able) must give `expected` probabilities, within TOLERANCE."""
    return {
        "export_dir": str(export_dir),
        "signature": signature,
        "inputs": inputs,
        "expected": np.asarray(expected).tolist(),
        "needs_tensorflow_text": needs_tensorflow_text,
    }


def verify_exports(checks: list[dict], fresh: bool = True) -> list[dict]:
    """Runs `checks` (`check_of`), all in one new Python process when `fresh`: those that
    need no TF Text first, before its ops are registered. The figures of each, in order;
    SelfCheckFailed says which disagreed and by how much."""
    if not fresh:
        return [_raise_on_problem(result) for result in _compare_all(checks)]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(checks, handle)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "bert_keras.serving.fresh_check", handle.name],
            capture_output=True,
            text=True,
        )
    finally:
        os.unlink(handle.name)
    if result.returncode != 0:
        reason = (result.stdout.strip() or result.stderr.strip() or "no output").splitlines()[-1]
        raise SelfCheckFailed(f"export check failed, the new version was deleted: {reason}")
    return json.loads(result.stdout)


def verify_export(
    export_dir: Path,
    signature: str,
    inputs: dict,
    expected: np.ndarray,
    needs_tensorflow_text: bool = True,
    fresh: bool = True,
) -> dict:
    """One check (see `check_of` and `verify_exports`)."""
    check = check_of(export_dir, signature, inputs, expected, needs_tensorflow_text)
    return verify_exports([check], fresh)[0]


def _raise_on_problem(result: dict) -> dict:
    if "problem" in result:
        raise SelfCheckFailed(
            f"export check failed, the new version was deleted: {result['problem']}"
        )
    return result


def _compare_all(checks: list[dict]) -> list[dict]:
    """Each check's figures, in order; computed core-ops-only ones first, and up to the
    first that fails."""
    results = [None] * len(checks)
    for index in sorted(range(len(checks)), key=lambda i: checks[i]["needs_tensorflow_text"]):
        results[index] = _compare(checks[index]["export_dir"], checks[index])
        if "problem" in results[index]:
            return [results[index]]
    return results


def _compare(export_dir: str, check: dict) -> dict:
    """Loads the export, predicts, and compares with the expected values: the figures,
    or {"problem": ...} when they differ by more than TOLERANCE."""
    import tensorflow as tf

    if check["needs_tensorflow_text"]:
        import tensorflow_text  # noqa: F401  (the serving graph's tokenizer ops)
    serve = tf.saved_model.load(export_dir).signatures[check["signature"]]
    specs = serve.structured_input_signature[1]
    inputs = {
        name: tf.constant(value, specs[name].dtype) for name, value in check["inputs"].items()
    }
    got = serve(**inputs)["probabilities"].numpy()
    difference = float(np.max(np.abs(got - np.array(check["expected"]))))
    if not difference <= TOLERANCE:
        return {
            "problem": (
                f"predictions differ from the trained model by {difference:.2e} (> {TOLERANCE})"
            )
        }
    return {
        "checked_examples": len(got),
        "max_abs_difference": difference,
        "tensorflow_text_loaded": "tensorflow_text" in sys.modules,
    }


def _check(checks_file: str):
    """Run in the fresh process: the figures as JSON on stdout; exit 1 at a failure."""
    results = _compare_all(json.loads(Path(checks_file).read_text()))
    failed = next((r["problem"] for r in results if "problem" in r), None)
    print(failed or json.dumps(results))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    _check(sys.argv[1])
