"""Ask several DNS servers the same questions and say where their answers differ.

Each server gets its own query engine (query.stream_queries with that server alone, so no
failover hides a server that does not answer), and the engines run at once, one thread each.
The questions are taken in chunks: every server answers a chunk, the chunk's comparisons are
yielded in input order, then the next chunk is read. Memory stays flat in the input's length,
and a slow or silent server delays its chunk by its timeouts, not the whole run.

Answers are compared as sets of records: their order in the reply and their TTLs (which count
down in a cache) make no difference, nor does the case of owner names (RFC 4343). Two replies
agree when their rcodes and record sets are the same; a server that did not reply agrees with
nobody. The majority is the answer most servers gave, ties going to the earliest server.
"""

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from itertools import islice

from netkit.resolve.edns import EdnsOption
from netkit.resolve.inflight import Server
from netkit.resolve.query import DnsOptions, DnsQuestion, DnsResult, dns_status, stream_queries
from netkit.resolve.wire import Record
from netkit.threads import join_thread, start_thread

# Questions asked of every server before their comparisons are yielded, as a multiple of the
# engine's window (-c): enough to keep each engine busy, few enough to stream.
CHUNK_WINDOWS = 4
MAX_CHUNK = 4096


@dataclass(frozen=True, slots=True)
class ServerAnswer:
    """One server's reply to one question, in the field names `--json` documents."""

    server: str  # "ADDR#PORT"
    rcode: str | None  # "NOERROR", "NXDOMAIN", ...; None when no reply came
    status: str  # rcode, or NODATA, or FAILED (no reply)
    answers: list[Record]
    rtt_ms: float | None
    error: str | None
    majority: bool  # whether this answer is the one most servers gave
    # The reply's EDNS options (NSID, EDE, COOKIE...), as in --dns results' edns.options:
    # which instance of an anycast server answered is often the point of comparing.
    edns_options: tuple[EdnsOption, ...] = ()


@dataclass(frozen=True, slots=True)
class Comparison:
    """One question asked of every server, and whether they all agree."""

    name: str  # as given
    qname: str  # as asked: absolute, IDNA A-labels
    type: str
    agree: bool  # every server replied, and all replies are the same
    servers: list[ServerAnswer]
    rdclass: str = "IN"  # the question's class, as in --dns results


# What two replies must share to agree: the rcode, and the records without TTL or order.
AnswerKey = tuple[str, frozenset[tuple[str, str, str, str]]] | None


def answer_key(result: DnsResult) -> AnswerKey:
    """The part of a result that comparing looks at; None when no reply came."""
    if result.rcode is None:
        return None
    records = frozenset(
        (record.name.lower(), record.type, record.rdclass, record.data) for record in result.answers
    )
    return result.rcode, records


def compare_results(results: list[DnsResult]) -> Comparison:
    """One question's results, a result a server in the servers' order, compared."""
    keys = [answer_key(result) for result in results]
    # Counter keeps first-seen order and most_common sorts stably: a tie goes to the earliest.
    counts = Counter(key for key in keys if key is not None)
    majority = counts.most_common(1)[0][0] if counts else None
    first = results[0]
    return Comparison(
        name=first.name,
        qname=first.qname,
        type=first.type,
        agree=None not in keys and len(counts) == 1,
        servers=[
            ServerAnswer(
                server=f"{result.server}#{result.port}",
                rcode=result.rcode,
                status=dns_status(result),
                answers=result.answers,
                rtt_ms=result.query_time_ms,
                error=result.error,
                majority=key is not None and key == majority,
                edns_options=result.edns.options if result.edns is not None else (),
            )
            for result, key in zip(results, keys, strict=True)
        ],
        rdclass=first.rdclass,
    )


def compare_servers(
    questions: Iterable[DnsQuestion], servers: list[Server], options: DnsOptions
) -> Iterator[Comparison]:
    """Ask every server every question (options says how; its servers are ignored) and yield
    a comparison for each question, in input order, chunk by chunk."""
    if not servers:
        raise ValueError("no servers to compare")
    alone = [replace(options, servers=[server], answers_only=False) for server in servers]
    chunk_size = min(MAX_CHUNK, max(1, options.concurrency) * CHUNK_WINDOWS)
    _load_decoders()
    source = iter(questions)
    while chunk := list(islice(source, chunk_size)):
        per_server = _ask_each(chunk, alone)
        for results in zip(*per_server, strict=True):
            yield compare_results(list(results))


def _ask_each(chunk: list[DnsQuestion], alone: list[DnsOptions]) -> list[list[DnsResult]]:
    """Every server's engine asks the chunk at once, each in a thread of its own.

    The threads are daemons that leave Ctrl-C to this thread (netkit.threads), so waiting for
    them is interruptible: Ctrl-C stops the command at once, rather than after the timeouts of
    a silent server's queries in flight (a pool's workers would be waited for, at the pool's
    end and again at the interpreter's exit).
    """
    outcomes: list[list[DnsResult] | BaseException] = [[] for _ in alone]

    def ask(index: int, settings: DnsOptions) -> None:
        try:
            outcomes[index] = _ask_all(chunk, settings)
        except BaseException as error:  # handed to the caller's thread, re-raised there
            outcomes[index] = error

    threads = [
        start_thread(partial(ask, index, settings), name="compare")
        for index, settings in enumerate(alone)
    ]
    for thread in threads:
        join_thread(thread)
    per_server = []
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
        per_server.append(outcome)
    return per_server


def _load_decoders() -> None:
    """Import what decoding a reply's rarer records needs (dnspython's rdata classes) before
    the engines start: imported by one engine's thread, it holds the interpreter lock for tens
    of milliseconds, which the other engines would count into their servers' times."""
    import dns.rdata
    import dns.rdtypes.ANY.SOA  # noqa: F401  # the SOA of every NXDOMAIN and NODATA reply


def _ask_all(questions: list[DnsQuestion], options: DnsOptions) -> list[DnsResult]:
    return list(stream_queries(questions, options))
