"""Output for `netkit resolve --diagnose`: the facts in the order glibc works, then verdicts."""

from collections.abc import Iterator
from typing import TYPE_CHECKING

from netkit.render.output import Styled, emit_details, emit_json, emit_lines

if TYPE_CHECKING:
    from netkit.resolve.diagnose import Diagnosis, DnsAnswer
    from netkit.resolve.hostconf import NssSource
    from netkit.resolve.system import ModernResult


def render_diagnosis(diagnosis: "Diagnosis", *, as_json: bool) -> None:
    if as_json:
        emit_json(diagnosis)
        return
    from netkit.render.tables import records_table, show

    nsswitch = diagnosis.nsswitch
    where = f"line {nsswitch.line_number}" if nsswitch.line_number else "no hosts line: default"
    _heading(f"1. nsswitch.conf ({nsswitch.path}, {where}): hosts: {nsswitch.line}", first=True)
    for problem in [*([nsswitch.error] if nsswitch.error else []), *nsswitch.problems]:
        emit_lines([f"  ignored: {problem}"])
    show(records_table(("source", "actions", "status", "next", "addresses", "detail"),
                       _source_rows(diagnosis)))  # fmt: skip
    _hosts(diagnosis)
    _resolv_conf(diagnosis)
    candidates = diagnosis.candidates
    conf = diagnosis.resolv_conf
    _heading(f"4. Names the stub resolver asks, in order (ndots:{conf.ndots})")
    show(records_table(("#", "name", "why"), (
        (index, c.qname, c.reason if c.domain is None else f"search {c.domain}")
        for index, c in enumerate(candidates, 1)
    )))  # fmt: skip
    _heading("5. Direct DNS answers (A and AAAA, each name from each server)")
    show(records_table(("name", "type", "server", "status", "addresses"),
                       (_answer_row(answer) for answer in diagnosis.dns)))  # fmt: skip
    _heading("6. What the application gets")
    emit_details(None, [
        ("getaddrinfo", _gai(diagnosis.getaddrinfo)),
        ("getaddrinfo AI_ADDRCONFIG", _gai(diagnosis.getaddrinfo_addrconfig)),
        ("gethostbyname", ", ".join(diagnosis.gethostbyname.addresses)
         or diagnosis.gethostbyname.error),
        ("answered by", diagnosis.answered_by or "unknown"),
        (f"dig @{_server(diagnosis.dig_server, diagnosis.dig_port)}", _dig(diagnosis)),
        ("host addresses", ", ".join(diagnosis.host_addresses) or "loopback only"),
    ])  # fmt: skip
    _heading("Verdict")
    width = max(len(verdict.code) for verdict in diagnosis.verdicts)
    emit_lines(
        [Styled(f"  {verdict.code:<{width}}  ", bold=True), verdict.message]
        for verdict in diagnosis.verdicts
    )


def _heading(text: str, *, first: bool = False) -> None:
    emit_lines([[Styled(text, bold=True)]] if first else ["", [Styled(text, bold=True)]])


def _criteria(source: "NssSource") -> str:
    items = [f"{'!' if c.negated else ''}{c.status}={c.action}" for c in source.criteria]
    return f"[{' '.join(items)}]" if items else "-"


def _source_rows(diagnosis: "Diagnosis") -> Iterator[tuple[object, ...]]:
    walked = diagnosis.sources
    for index, source in enumerate(diagnosis.nsswitch.sources):
        if index < len(walked):
            outcome = walked[index]
            status = outcome.status or "unknown"
            addresses = ", ".join(outcome.addresses) or None
            yield source.name, _criteria(source), status, outcome.action, addresses, outcome.detail
        else:
            yield source.name, _criteria(source), "not reached", None, None, None


def _hosts(diagnosis: "Diagnosis") -> None:
    hosts = diagnosis.hosts
    count = len(hosts.matches)
    _heading(f"2. {hosts.path}: {count} line{'s' if count != 1 else ''} for {diagnosis.name}")
    if hosts.error:
        emit_lines([f"  {hosts.error}"])
    if hosts.matches:
        from netkit.render.tables import records_table, show

        show(records_table(("line", "address", "names"), (
            (line.line_number, line.address, " ".join(line.names)) for line in hosts.matches
        )))  # fmt: skip
    if hosts.skipped:
        emit_lines([f"  {hosts.skipped} line(s) skipped: not an address glibc can parse"])


def _resolv_conf(diagnosis: "Diagnosis") -> None:
    conf = diagnosis.resolv_conf
    where = f" -> {conf.symlink}" if conf.symlink else ""
    _heading(f"3. {conf.path}{where}")
    stubs = ", ".join(f"{stub.address} ({stub.kind})" for stub in conf.stubs)
    search = " ".join(conf.search)
    emit_details(None, [
        ("nameservers", " ".join(conf.nameservers)),
        ("search", f"{search} (from {conf.search_from})" if conf.search else "none"),
        ("ndots", conf.ndots),
        ("timeout", f"{conf.timeout} s"),
        ("attempts", conf.attempts),
        ("options", " ".join(conf.options) or "none"),
        ("local stub", stubs or "none: the nameservers are asked directly"),
        *((("ignored", "; ".join(conf.ignored)),) if conf.ignored else ()),
        *((("error", conf.error),) if conf.error else ()),
    ])  # fmt: skip


def _answer_row(answer: "DnsAnswer") -> tuple[object, ...]:
    server = _server(answer.server, answer.port)
    if not answer.from_resolv_conf:
        server += " (-s)"
    if answer.rcode is None:
        status = "no reply"
    elif answer.rcode == "NOERROR" and not answer.addresses:
        status = "NODATA"
    else:
        status = answer.rcode
    addresses = ", ".join(answer.addresses) or None
    if addresses and answer.canonical:
        addresses += f" (via {answer.canonical})"
    return answer.qname, answer.type, server, status, addresses


def _gai(result: "ModernResult") -> str | None:
    addresses = list(dict.fromkeys(info.address for info in result.results))
    return ", ".join(addresses) or result.error


def _dig(diagnosis: "Diagnosis") -> str:
    """What `dig NAME` gets: its addresses, or the statuses of the name as it is."""
    if diagnosis.dig_addresses:
        return ", ".join(diagnosis.dig_addresses)
    as_is = diagnosis.name if diagnosis.name.endswith(".") else diagnosis.name + "."
    statuses = [
        str(_answer_row(answer)[3])
        for answer in diagnosis.dns
        if answer.qname == as_is
        and (answer.server, answer.port) == (diagnosis.dig_server, diagnosis.dig_port)
    ]
    return f"no address ({', '.join(dict.fromkeys(statuses))})" if statuses else "no address"


def _server(address: str, port: int) -> str:
    return address if port == 53 else f"{address}#{port}"
