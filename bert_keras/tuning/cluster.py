"""A search spread over processes, as Keras Tuner distributes one: a chief serves the
oracle over gRPC, workers ask it for trials, train them and report each result.

    KERASTUNER_TUNER_ID      "chief", or a worker's name (tuner0, tuner1, ...)
    KERASTUNER_ORACLE_IP     the chief's address (127.0.0.1 on one machine)
    KERASTUNER_ORACLE_PORT   the chief's port

Every process runs the same `bert-keras tune` command, and TUNE_DIR is one directory
all of them see (one machine, or a shared file system). The chief writes TUNE_DIR's
settings, serves the oracle, trains nothing, and once every trial has ended writes
trials.csv, best.json and tuning.png. A worker waits for the chief, checks its own
settings against the ones the chief wrote, and trains the trials it is handed, each in
TUNE_DIR/trials/<id>. A worker killed mid-trial and started again under the same
KERASTUNER_TUNER_ID is handed that trial again (keras-tuner keeps it as the tuner's
ongoing trial) and resumes its run directory where the kill left it.
"""

import os

from bert_keras.errors import UserInputError

ALONE, CHIEF, WORKER = "alone", "chief", "worker"
TUNER_ID, ORACLE_IP, ORACLE_PORT = (
    "KERASTUNER_TUNER_ID",
    "KERASTUNER_ORACLE_IP",
    "KERASTUNER_ORACLE_PORT",
)
CHIEF_WAIT_SECONDS = 3600  # how long a worker waits for the chief: keras-tuner's own RPC timeout


def search_role() -> str:
    """ALONE, CHIEF or WORKER, from the environment keras-tuner reads; a partial or
    malformed setting is one line naming the variable (keras-tuner would raise)."""
    if ORACLE_IP not in os.environ:
        return ALONE
    port, tuner_id = os.environ.get(ORACLE_PORT, ""), os.environ.get(TUNER_ID, "")
    if not (port.isdigit() and 1 <= int(port) <= 65535):
        raise UserInputError(
            f"{ORACLE_PORT}={port}: must be a port number from 1 to 65535, "
            f"as {ORACLE_IP} is set (a distributed search)"
        )
    if not tuner_id:
        raise UserInputError(
            f"{TUNER_ID}: must name this process (chief, or a worker such as tuner0), "
            f"as {ORACLE_IP} is set (a distributed search)"
        )
    return CHIEF if "chief" in tuner_id else WORKER  # keras-tuner's own rule (is_chief_oracle)


def chief_address() -> str:
    return f"{os.environ[ORACLE_IP]}:{os.environ[ORACLE_PORT]}"


def wait_for_chief(timeout: float = CHIEF_WAIT_SECONDS):
    """Blocks until the chief's oracle answers; by then it has written TUNE_DIR's settings."""
    import grpc

    try:
        grpc.channel_ready_future(grpc.insecure_channel(chief_address())).result(timeout=timeout)
    except grpc.FutureTimeoutError:
        raise UserInputError(
            f"{ORACLE_IP}:{ORACLE_PORT} {chief_address()}: no chief answered in {timeout:.0f}s; "
            f"start the chief ({TUNER_ID}=chief) with the same command"
        ) from None
