"""Reading the ERP beside the writer: a thread, or a process with its own GIL for big reads."""

import pytest

from core.erp.pipeline import prefetch, prefetch_from_process
from core.erp.source import ErpError


def test_process_reader_yields_every_batch_in_order():
    batches = list(prefetch_from_process("tests.erp.reader_factories:counting", "numbers", {"upto": 95}))
    assert [n for b in batches for n in b] == list(range(95))
    assert len(batches) == 10


def test_several_reader_processes_share_one_read():
    parts = [{"upto": 95, "part": (k, 3)} for k in range(3)]
    batches = list(prefetch_from_process("tests.erp.reader_factories:counting", "numbers", parts))
    assert sorted(n for b in batches for n in b) == list(range(95))
    assert {b[0] % 3 for b in batches} == {0, 1, 2}


def test_an_error_in_one_of_several_readers_is_raised():
    parts = [{"upto": 50}, {"upto": 50, "fail_after": 2}]
    with pytest.raises(ErpError, match="Se perdió la conexión"):
        list(prefetch_from_process("tests.erp.reader_factories:counting", "numbers", parts))


def test_process_reader_raises_the_childs_spanish_error():
    with pytest.raises(ErpError, match="el servidor no responde o está apagado"):
        list(prefetch_from_process("tests.erp.reader_factories:unreachable", "numbers", {"upto": 5}))


def test_thread_reader_stops_early_without_hanging():
    it = prefetch(lambda: iter(range(10_000)), depth=2)
    assert [next(it) for _ in range(3)] == [0, 1, 2]
    it.close()


def test_process_reader_sends_decimals_as_their_exact_text():
    (batch,) = prefetch_from_process("tests.erp.reader_factories:sales", "ventas", {"modified_since": None},
                                     encode="core.erp.source:decimals_as_text")
    assert batch.documentos[0][7:10] == ("100.00", "16.00", "116.00")
    assert batch.lineas == [("VE", "10", 1, "A-1", "0.10000", "1000.000000", "100.00")]
    assert batch.cancelados == [("PV", "7")]


def test_a_source_failing_before_its_first_batch_raises_instead_of_hanging():
    def failing():
        raise RuntimeError("sin conexión")

    with pytest.raises(RuntimeError, match="sin conexión"):
        list(prefetch(failing))
