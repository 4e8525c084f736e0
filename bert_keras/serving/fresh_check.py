"""The export check: a version loaded back must give the probabilities of the model in
memory. By default it is loaded in a fresh Python process, where nothing of the
training process can help it:

    python -m bert_keras.serving.fresh_check EXPORT_DIR CHECK_JSON   (what the check runs)

The fresh process imports TF Text only for a signature that reads text: a core-ops-only
export is checked where TF Text's ops were never registered, as a server without them.
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


def verify_export(
    export_dir: Path,
    signature: str,
    inputs: dict,
    expected: np.ndarray,
    needs_tensorflow_text: bool = True,
    fresh: bool = True,
) -> dict:
    """Loads `export_dir` (in a new Python process when `fresh`) and checks that
    `signature` gives `expected` probabilities for `inputs` (name -> list, JSON-able;
    within TOLERANCE); SelfCheckFailed says by how much it did not."""
    check = {
        "signature": signature,
        "inputs": inputs,
        "expected": np.asarray(expected).tolist(),
        "needs_tensorflow_text": needs_tensorflow_text,
    }
    if not fresh:
        result = _compare(str(export_dir), check)
        if "problem" in result:
            raise SelfCheckFailed(
                f"export check failed, the new version was deleted: {result['problem']}"
            )
        return result
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(check, handle)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "bert_keras.serving.fresh_check", str(export_dir), handle.name],
            capture_output=True,
            text=True,
        )
    finally:
        os.unlink(handle.name)
    if result.returncode != 0:
        reason = (result.stdout.strip() or result.stderr.strip() or "no output").splitlines()[-1]
        raise SelfCheckFailed(f"export check failed, the new version was deleted: {reason}")
    return json.loads(result.stdout)


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


def _check(export_dir: str, check_file: str):
    """Run in the fresh process: the comparison, as JSON on stdout; exit 1 when it fails."""
    result = _compare(export_dir, json.loads(Path(check_file).read_text()))
    print(result.get("problem") or json.dumps(result))
    sys.exit(1 if "problem" in result else 0)


if __name__ == "__main__":
    _check(*sys.argv[1:3])
