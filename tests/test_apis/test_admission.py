"""Tests of the page's admission control (dpt_mm/apis/admission.py)."""
import threading
import time

import pytest

from dpt_mm.apis.admission import (AdmissionControl, Overloaded,
                                   ProcessMemory, TooLarge)


def run_all(control, costs, hold=0.3, stagger=0.02):
    """Start one thread per cost; each holds its admission ``hold`` s.

    Returns:
        tuple: Outcomes in start order ('ok', '503' or '413'), the most
        requests and bytes ever in flight together, and the order in which
        the admitted requests started.
    """
    outcomes = [None] * len(costs)
    started = []
    peak = dict(n=0, mem=0)
    lock = threading.Lock()

    def job(i, cost):
        try:
            with control.admit(cost):
                with lock:
                    started.append(i)
                    peak['n'] = max(peak['n'], control.in_flight)
                    peak['mem'] = max(peak['mem'], control.memory_in_flight)
                time.sleep(hold)
            outcomes[i] = 'ok'
        except Overloaded as err:
            assert err.retry_after >= 1
            outcomes[i] = '503'
        except TooLarge:
            outcomes[i] = '413'

    threads = []
    for i, cost in enumerate(costs):
        threads.append(threading.Thread(target=job, args=(i, cost)))
        threads[-1].start()
        time.sleep(stagger)
    for t in threads:
        t.join(30)
        assert not t.is_alive()
    return outcomes, peak['n'], peak['mem'], started


def test_slots_queue_and_refusal():
    control = AdmissionControl(2, 1, memory_budget=100)
    outcomes, most, _, started = run_all(control, [10] * 5)
    # two run, one waits, the rest are refused at once
    assert outcomes == ['ok', 'ok', 'ok', '503', '503']
    assert most == 2 and started == [0, 1, 2]
    assert control.in_flight == 0 and control.memory_in_flight == 0
    assert control.waiting == 0


def test_memory_budget_limits_before_slots():
    control = AdmissionControl(4, 4, memory_budget=100)
    outcomes, most, mem, _ = run_all(control, [40, 40, 40, 40, 101])
    assert outcomes == ['ok', 'ok', 'ok', 'ok', '413']
    assert most == 2 and mem == 80  # a third 40 would exceed 100


def test_fifo_a_large_request_is_not_overtaken():
    control = AdmissionControl(3, 3, memory_budget=100)
    # 0 runs; 1 (90) waits for the memory; 2 (10) would fit but queues
    outcomes, _, _, started = run_all(control, [50, 90, 10], hold=0.2)
    assert outcomes == ['ok', 'ok', 'ok']
    assert started == [0, 1, 2]


def test_too_large_names_the_budget():
    control = AdmissionControl(1, 0, memory_budget=2 * 2**30)
    with pytest.raises(TooLarge, match=r'^big\.jpg needs about 3\.00 GB, '
                       r'more than the memory budget \(2\.00 GB\)'):
        with control.admit(3 * 2**30, 'big.jpg'):
            pass


def test_queue_timeout_is_503():
    control = AdmissionControl(1, 1, memory_budget=10, queue_timeout=0.2)
    outcomes, *_ = run_all(control, [1, 1], hold=1.)
    assert outcomes == ['ok', '503']


def test_exclusive_waits_for_work_and_keeps_it_out():
    control = AdmissionControl(2, 2, memory_budget=10, queue_timeout=0.1)
    events = []
    release, hold = threading.Event(), threading.Event()

    def request():
        with control.admit(1):
            events.append('request start')
            release.wait(5)
            events.append('request end')

    def exclusive():
        with control.exclusive():
            events.append('exclusive')
            hold.wait(5)

    threads = [threading.Thread(target=request)]
    threads[0].start()
    time.sleep(0.05)
    threads.append(threading.Thread(target=exclusive))
    threads[1].start()
    time.sleep(0.05)
    assert events == ['request start']  # exclusive waits for the request
    release.set()
    time.sleep(0.05)
    assert events == ['request start', 'request end', 'exclusive']
    # while exclusive runs, a request waits in the queue (here: times out)
    with pytest.raises(Overloaded, match='waited 0.1 s'):
        with control.admit(1):
            pass
    hold.set()
    for t in threads:
        t.join(5)
    with control.admit(1):
        assert control.in_flight == 1


def test_arguments_are_checked():
    with pytest.raises(ValueError, match='max_in_flight'):
        AdmissionControl(0, 1, 1)
    with pytest.raises(ValueError, match='max_queue'):
        AdmissionControl(1, -1, 1)
    with pytest.raises(ValueError, match='memory_budget'):
        AdmissionControl(1, 1, 0)


def test_process_memory_sees_an_allocation():
    memory = ProcessMemory()
    before = memory.rss()
    size = 200 * 2**20

    def allocate():
        block = bytearray(size)
        block[::4096] = b'x' * len(block[::4096])  # touch every page
        del block

    peak = memory.peak_during(allocate)
    assert 0.9 * size < peak - before < 1.5 * size
