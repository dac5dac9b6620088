"""Judging UDP replies that are not the in-order echo: late, duplicate or mismatch."""

from netkit.bench.sequence import DUPLICATE, LATE, MISMATCH, Sequences, sequence_format


def stamped(sequences: Sequences, number: int, body: bytes = b"payload!") -> bytearray:
    message = bytearray(sequences.field.size) + bytearray(body)
    sequences.field.pack_into(message, 0, number)
    return message


def test_late_duplicate_and_damaged_replies() -> None:
    sequences = Sequences(top=4, size=16)
    fd = 3
    sequences.current[fd] = 1
    sequences.give_up(fd)  # 1 timed out
    sequences.current[fd] = 2
    sequences.answered[fd] = 2  # 2 was answered in order
    sequences.current[fd] = 3  # 3 is in flight
    expected = stamped(sequences, 3)
    assert sequences.lost == 1
    one = stamped(sequences, 1)
    assert sequences.judge(fd, one, len(one), expected) == LATE
    assert (sequences.lost, sequences.reordered) == (0, 1)
    assert sequences.judge(fd, one, len(one), expected) == DUPLICATE
    two = stamped(sequences, 2)
    assert sequences.judge(fd, two, len(two), expected) == DUPLICATE
    assert sequences.duplicates == 2
    damaged = stamped(sequences, 3, b"PAYLOAD!")
    assert sequences.judge(fd, damaged, len(damaged), expected) == MISMATCH
    future = stamped(sequences, 9)
    assert sequences.judge(fd, future, len(future), expected) == MISMATCH
    assert sequences.judge(fd, two, len(two) - 1, expected) == MISMATCH


def test_small_datagrams_carry_a_narrower_number() -> None:
    assert [sequence_format(n).size for n in (1, 2, 3, 4, 7, 8, 1200)] == [1, 2, 2, 4, 4, 8, 8]
