"""`precision="auto"`: the compute precision that fits the hardware a run trains on.

  TPU                                       mixed_bfloat16  bfloat16 matrix units
  GPUs, all of compute capability >= 8.0    mixed_bfloat16  Ampere on: bfloat16 tensor cores
  GPUs of compute capability 7.x            mixed_float16   V100, T4: float16 tensor cores
  older GPUs                                float32
  CPU with AMX or AVX512-BF16, oneDNN on    mixed_bfloat16  oneDNN's kernels use them
  the same, oneDNN capped below them        float32         ONEDNN_MAX_CPU_ISA=AVX2, say
  any other CPU                             float32         bfloat16 is emulated: slower

Where TensorFlow runs on GPUs the CPU does not matter; with several GPUs the
oldest decides. The choice is a function of a `Hardware` description, so that
each row is tested on a described machine, and once on the machine at hand.
"""

import dataclasses
import os
from pathlib import Path

import tensorflow as tf

from bert_keras.encoders.resolve import encoder_metadata

CPU_BFLOAT16_FLAGS = ("amx_bf16", "avx512_bf16")  # /proc/cpuinfo's names for bfloat16 matrix units
# The values of oneDNN's ONEDNN_MAX_CPU_ISA that leave its bfloat16 kernels on ("" or
# DEFAULT: no cap); any lower one (AVX2, AVX512_CORE, ...) keeps them off.
ONEDNN_BFLOAT16_ISAS = frozenset(
    {"", "DEFAULT", "ALL", "AVX512_CORE_BF16", "AVX512_CORE_FP16", "AVX512_CORE_AMX"}
    | {"AVX512_CORE_AMX_FP16", "AVX10_1_512", "AVX10_1_512_AMX", "AVX10_1_512_AMX_FP16"}
)


@dataclasses.dataclass(frozen=True)
class Hardware:
    """What TensorFlow and the CPU report, as far as the choice of precision cares."""

    cpu_flags: frozenset = frozenset()  # /proc/cpuinfo "flags"
    onednn: bool = True  # TensorFlow's oneDNN kernels on (TF_ENABLE_ONEDNN_OPTS not "0")
    gpu_capabilities: tuple = ()  # (major, minor) of each visible GPU
    tpu: bool = False  # training on a TPU strategy
    onednn_max_isa: str = ""  # ONEDNN_MAX_CPU_ISA, upper-cased: the ISA oneDNN may use


def _cpu_flags() -> frozenset:
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.is_file():  # not Linux: no flags known, so no bfloat16 assumed
        return frozenset()
    for line in cpuinfo.read_text(errors="replace").splitlines():
        if line.startswith("flags"):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def this_machine(tpu: bool = False) -> Hardware:
    """The machine this process runs on; `tpu`: the run's strategy is a TPU's."""
    capabilities = tuple(
        tf.config.experimental.get_device_details(gpu).get("compute_capability", (0, 0))
        for gpu in tf.config.list_physical_devices("GPU")
    )
    return Hardware(
        _cpu_flags(),
        os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1") != "0",
        capabilities,
        tpu,
        os.environ.get("ONEDNN_MAX_CPU_ISA", "").strip().upper(),
    )


def choose(hardware: Hardware) -> tuple[str, str]:
    """(precision, why) for `hardware`.

    >>> choose(Hardware(gpu_capabilities=((7, 5),)))
    ('mixed_float16', 'GPU of compute capability 7.5: float16 tensor cores, no bfloat16 ones')
    >>> choose(Hardware(cpu_flags=frozenset({"avx2"})))[0]
    'float32'
    """
    if hardware.tpu:
        return "mixed_bfloat16", "a TPU: bfloat16 matrix units"
    if hardware.gpu_capabilities:
        major, minor = min(hardware.gpu_capabilities)
        gpu = f"GPU of compute capability {major}.{minor}"
        if major >= 8:
            return "mixed_bfloat16", f"{gpu}: bfloat16 tensor cores"
        if major == 7:
            return "mixed_float16", f"{gpu}: float16 tensor cores, no bfloat16 ones"
        return "float32", f"{gpu}: no half-precision tensor cores"
    units = [flag for flag in CPU_BFLOAT16_FLAGS if flag in hardware.cpu_flags]
    if units and hardware.onednn and hardware.onednn_max_isa not in ONEDNN_BFLOAT16_ISAS:
        return (
            "float32",
            f"CPU with {' and '.join(units)}, but oneDNN is capped below them "
            f"(ONEDNN_MAX_CPU_ISA={hardware.onednn_max_isa})",
        )
    if units and hardware.onednn:
        return (
            "mixed_bfloat16",
            f"CPU with {' and '.join(units)}: bfloat16 units TensorFlow's oneDNN kernels use",
        )
    if units:
        return (
            "float32",
            f"CPU with {' and '.join(units)}, but oneDNN is off (TF_ENABLE_ONEDNN_OPTS=0)",
        )
    return (
        "float32",
        "CPU without bfloat16 units (AMX or AVX512-BF16): bfloat16 would be emulated, slower",
    )


def resolve(precision: str, hardware: Hardware, rebuildable: bool) -> tuple[str, str]:
    """(precision, why): the setting itself unless it is `auto`. An encoder bert-keras did
    not convert cannot be rebuilt under a mixed policy, so `auto` gives it float32.

    Args:
        precision: the setting: `auto` or a precision.
        hardware: what this machine computes with.
        rebuildable: whether the encoder can be rebuilt under a mixed policy.
    """
    if precision != "auto":
        return precision, "asked for"
    if not rebuildable:
        return (
            "float32",
            "the encoder was not converted by bert-keras, "
            "so it cannot be rebuilt in mixed precision",
        )
    return choose(hardware)


def resolve_here(precision: str, paths, tpu: bool = False) -> tuple[str, str]:
    """(precision, why) for the encoder at `paths` (an `EncoderPaths`) on this machine.

    Args:
        precision: the setting: `auto` or a precision.
        paths: the encoder's files.
        tpu: whether the run's strategy is a TPU's.
    """
    return resolve(
        precision, this_machine(tpu), rebuildable=encoder_metadata(paths).get("config") is not None
    )


def auto_note(precision: str, why: str) -> str:
    """The one line saying what `precision="auto"` chose, and why."""
    return f"precision=auto: {precision} ({why})"
