"""The libcurl engine's slot queue: per-host and total limits, order, cancelling a waiter."""

from __future__ import annotations

from imgharvest.pipeline.curl_queue import SlotQueue, host_key


def test_host_keys_name_scheme_host_and_port() -> None:
    assert host_key("http://Example.org/a.jpg") == "http://example.org:"
    assert host_key("https://example.org:8443/x?y") == "https://example.org:8443"
    assert host_key("http://127.0.0.1:80/") != host_key("http://127.0.0.1:81/")


def test_a_full_host_queues_in_order_and_a_freed_slot_goes_to_its_next() -> None:
    slots: SlotQueue[str] = SlotQueue(total=10, per_host=2)
    assert slots.admit("a") and slots.admit("a") and not slots.admit("a")
    slots.wait("a", 1, "a1")
    slots.wait("a", 2, "a2")
    assert slots.admit("b")  # another host is not held up by a's queue
    assert slots.release("b") is None and slots.running == 2
    assert slots.release("a") == ("a", "a1") and slots.running == 2
    assert slots.release("a") == ("a", "a2")
    assert slots.release("a") is None and slots.release("a") is None
    assert slots.running == 0 and slots.active == {} and not slots.waiting


def test_the_total_limit_hands_a_freed_slot_to_the_first_waiter_of_any_host() -> None:
    slots: SlotQueue[str] = SlotQueue(total=2, per_host=2)
    assert slots.admit("a") and slots.admit("b") and not slots.admit("c")
    slots.wait("c", 1, "c1")
    slots.wait("a", 2, "a2")
    assert slots.release("a") == ("c", "c1")  # first come, first served across hosts
    assert slots.release("b") == ("a", "a2")
    assert slots.active == {"c": 1, "a": 1}


def test_a_cancelled_waiter_leaves_the_queue_and_takes_no_slot() -> None:
    slots: SlotQueue[str] = SlotQueue(total=5, per_host=1)
    assert slots.admit("a")
    slots.wait("a", 1, "a1")
    slots.wait("a", 2, "a2")
    assert slots.drop(1) == "a1" and slots.drop(1) is None
    assert slots.release("a") == ("a", "a2")
    assert slots.release("a") is None and slots.running == 0
