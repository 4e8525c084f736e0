"""A distributed search's roles from the environment, and a worker's wait for its chief."""

import socket
import time
from concurrent import futures

import grpc
import pytest

from bert_keras.errors import UserInputError
from bert_keras.tuning.cluster import ALONE, CHIEF, WORKER, search_role, wait_for_chief


@pytest.mark.parametrize(
    "env, role",
    [
        ({}, ALONE),
        (
            {
                "KERASTUNER_ORACLE_IP": "127.0.0.1",
                "KERASTUNER_ORACLE_PORT": "8000",
                "KERASTUNER_TUNER_ID": "chief",
            },
            CHIEF,
        ),
        (
            {
                "KERASTUNER_ORACLE_IP": "127.0.0.1",
                "KERASTUNER_ORACLE_PORT": "8000",
                "KERASTUNER_TUNER_ID": "tuner1",
            },
            WORKER,
        ),
    ],
)
def test_the_role_is_read_from_keras_tuners_variables(monkeypatch, env, role):
    for name in ("KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT", "KERASTUNER_TUNER_ID"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert search_role() == role


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_worker_waits_its_timeout_for_a_chief_that_never_answers(monkeypatch):
    monkeypatch.setenv("KERASTUNER_ORACLE_IP", "127.0.0.1")
    monkeypatch.setenv("KERASTUNER_ORACLE_PORT", str(unused_port()))  # nobody listens there
    start = time.monotonic()
    with pytest.raises(UserInputError, match=r"no chief answered in 2s; start the chief"):
        wait_for_chief(timeout=1.5)
    assert 1.4 <= time.monotonic() - start < 10


def test_a_worker_goes_on_as_soon_as_its_chief_answers(monkeypatch):
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        monkeypatch.setenv("KERASTUNER_ORACLE_IP", "127.0.0.1")
        monkeypatch.setenv("KERASTUNER_ORACLE_PORT", str(port))
        start = time.monotonic()
        wait_for_chief(timeout=30)
        assert time.monotonic() - start < 5
    finally:
        server.stop(grace=None)
