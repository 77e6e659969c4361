"""Reading the ERP beside the writer: a thread, or a process with its own GIL for big reads."""

import pytest

from core.erp.pipeline import prefetch, prefetch_from_process
from core.erp.source import ErpError


def test_process_reader_yields_every_batch_in_order():
    batches = list(prefetch_from_process("tests.erp.reader_factories:counting", "numbers", {"upto": 95}))
    assert [n for b in batches for n in b] == list(range(95))
    assert len(batches) == 10


def test_process_reader_raises_the_childs_spanish_error():
    with pytest.raises(ErpError, match="el servidor no responde o está apagado"):
        list(prefetch_from_process("tests.erp.reader_factories:unreachable", "numbers", {"upto": 5}))


def test_thread_reader_stops_early_without_hanging():
    it = prefetch(lambda: iter(range(10_000)), depth=2)
    assert [next(it) for _ in range(3)] == [0, 1, 2]
    it.close()
