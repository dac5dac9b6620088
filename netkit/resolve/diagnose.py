"""`resolve --diagnose`: why a program and dig disagree about a name.

A program resolves a name through glibc: nsswitch.conf's hosts line picks the sources in
order (files, dns, myhostname, ...), /etc/hosts answers for files, and for dns the stub
resolver tries a list of candidate names built from resolv.conf's search list and ndots.
dig asks one server for the name as it is. This module gathers each of those facts, asks
every nameserver for every candidate directly, calls getaddrinfo (with and without
AI_ADDRCONFIG) and gethostbyname, walks the hosts line the way glibc does, and names the
differences with stable verdict codes. It returns data and never prints.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from netkit.resolve import hostconf
from netkit.resolve.hostconf import Candidate, HostsMatches, NsswitchHosts, ResolvConf, unique
from netkit.resolve.inflight import Server
from netkit.resolve.names import host_name
from netkit.resolve.system import LegacyResult, ModernResult, legacy_lookup, modern_lookup
from netkit.threads import WorkerPool, future_result

# nss modules netkit cannot ask itself: their status stays unknown unless they are missing.
_MDNS_MINIMAL = ("mdns_minimal", "mdns4_minimal", "mdns6_minimal")
# Built into libc since glibc 2.34; libnss_files.so.2 and libnss_dns.so.2 are only stubs.
_BUILT_IN = ("files", "dns")
_LIBRARY_DIRS = ("/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib")
_RESOLVED_VARLINK = "/run/systemd/resolve/io.systemd.Resolve"


@dataclass(frozen=True, slots=True)
class Paths:
    """The files glibc reads; tests point them at their own."""

    nsswitch: str = hostconf.NSSWITCH_CONF
    hosts: str = hostconf.HOSTS
    resolv_conf: str = hostconf.RESOLV_CONF


@dataclass(frozen=True, slots=True)
class DnsAnswer:
    """A direct query: one candidate name, one type, one server."""

    qname: str
    type: str  # A, AAAA
    server: str
    port: int
    from_resolv_conf: bool  # False: a server given with -s/@SERVER
    rcode: str | None  # None: no reply
    addresses: list[str] = field(default_factory=list)
    canonical: str | None = None  # the owner of the addresses when CNAMEs led elsewhere
    error: str | None = None


@dataclass(frozen=True, slots=True)
class SourceOutcome:
    """What one source of the hosts line gave, and what glibc does next because of it."""

    source: str
    status: str | None  # SUCCESS, NOTFOUND, UNAVAIL, TRYAGAIN; None: netkit cannot tell
    action: str | None  # return, continue, merge (None when the status is unknown)
    addresses: list[str] = field(default_factory=list)
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Verdict:
    code: str  # stable: hosts-file-override, search-domain-appended, agree, ...
    message: str


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """Every fact of a diagnosis, in the order glibc works, and the verdicts."""

    name: str
    nsswitch: NsswitchHosts
    hosts: HostsMatches
    resolv_conf: ResolvConf
    candidates: list[Candidate]
    dns: list[DnsAnswer]
    sources: list[SourceOutcome]  # the hosts line walked, up to where glibc stops
    getaddrinfo: ModernResult
    getaddrinfo_addrconfig: ModernResult
    gethostbyname: LegacyResult
    host_addresses: list[str]  # non-loopback addresses of this host (what AI_ADDRCONFIG sees)
    answered_by: str | None  # the source the application's answer came from
    dig_server: str  # the server `dig NAME` asks (the first -s/@SERVER, or resolv.conf's)
    dig_port: int
    dig_addresses: list[str]  # its A and AAAA answers for the name as it is
    verdicts: list[Verdict]


def diagnose(
    name: str,
    *,
    paths: Paths | None = None,
    extra_servers: list[Server] | None = None,
    timeout: float = 2.0,
    tries: int = 2,
) -> Diagnosis:
    """Gather every fact about how `name` resolves here and explain the differences."""
    paths = paths or Paths()
    name = host_name(name).ascii  # raises InvalidNameError, which says why in one line
    nsswitch = hostconf.read_nsswitch(paths.nsswitch)
    hosts = hostconf.read_hosts(name, paths.hosts)
    conf = hostconf.read_resolv_conf(paths.resolv_conf)
    candidates = hostconf.candidate_names(name, conf)
    as_is = name if name.endswith(".") else name + "."
    qnames = unique([*(c.qname for c in candidates), as_is])
    servers = [(server, 53, True) for server in conf.nameservers]
    servers += [(address, port, False) for address, port in extra_servers or []]
    with WorkerPool(max_workers=len(servers) + 3) as pool:
        asked = [pool.submit(_ask, qnames, server, timeout, tries) for server in servers]
        plain = pool.submit(modern_lookup, name)
        addrconfig = pool.submit(modern_lookup, name, addrconfig=True)
        legacy = pool.submit(legacy_lookup, name)
        answers = [answer for future in asked for answer in future_result(future)]
        facts = _Facts(name, nsswitch, hosts, conf, candidates, answers)
        sources = walk_sources(facts)
        dig_server = servers[len(conf.nameservers)] if extra_servers else servers[0]
        diagnosis = Diagnosis(
            name=name,
            nsswitch=nsswitch,
            hosts=hosts,
            resolv_conf=conf,
            candidates=candidates,
            dns=answers,
            sources=sources,
            getaddrinfo=future_result(plain),
            getaddrinfo_addrconfig=future_result(addrconfig),
            gethostbyname=future_result(legacy),
            host_addresses=host_addresses(),
            answered_by=None,
            dig_server=dig_server[0],
            dig_port=dig_server[1],
            dig_addresses=_addresses_of(answers, as_is, dig_server[0], dig_server[1]),
            verdicts=[],
        )
    answered_by = attribute(diagnosis)
    diagnosis = replace(diagnosis, answered_by=answered_by)
    return replace(diagnosis, verdicts=verdicts(diagnosis, facts))


def _ask(
    qnames: list[str], server: tuple[str, int, bool], timeout: float, tries: int
) -> list[DnsAnswer]:
    """A and AAAA for every candidate name from one server."""
    from netkit.resolve.query import DnsOptions, DnsQuestion, run_queries

    address, port, from_conf = server
    questions = [DnsQuestion(qname, rdtype) for qname in qnames for rdtype in ("A", "AAAA")]
    options = DnsOptions(servers=[(address, port)], timeout=timeout, tries=tries, concurrency=16)
    answers = []
    for result in run_queries(questions, options):
        records = [record for record in result.answers if record.type == result.type]
        owner = records[0].name if records else None
        answers.append(
            DnsAnswer(
                qname=result.qname,
                type=result.type,
                server=address,
                port=port,
                from_resolv_conf=from_conf,
                rcode=result.rcode,
                addresses=unique(record.data for record in records),
                canonical=owner if owner and owner.lower() != result.qname.lower() else None,
                error=result.error,
            )
        )
    return answers


def _addresses_of(answers: list[DnsAnswer], qname: str, server: str, port: int) -> list[str]:
    return unique(
        address
        for answer in answers
        if answer.qname == qname and answer.server == server and answer.port == port
        for address in answer.addresses
    )


def host_addresses() -> list[str]:
    """This host's addresses other than loopback: AI_ADDRCONFIG keeps a family only if it has
    one (getaddrinfo(3))."""
    try:
        import psutil
    except ImportError:  # psutil is a dependency; a broken install still gets a diagnosis
        return []
    import socket

    found = []
    for addresses in psutil.net_if_addrs().values():
        for address in addresses:
            if address.family in (socket.AF_INET, socket.AF_INET6):
                text = address.address.partition("%")[0]
                if not _is_loopback(text):
                    found.append(text)
    return unique(found)


def _is_loopback(text: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class _Facts:
    """What walking the hosts line needs: the files read and the direct answers."""

    name: str
    nsswitch: NsswitchHosts
    hosts: HostsMatches
    conf: ResolvConf
    candidates: list[Candidate]
    answers: list[DnsAnswer]

    def dns_outcome(self) -> "DnsWalk":
        return walk_dns(self.candidates, self.answers, self.conf)


@dataclass(frozen=True, slots=True)
class DnsWalk:
    """How glibc's dns source fares: the candidate that answered, or why none did."""

    status: str  # SUCCESS, NOTFOUND, TRYAGAIN
    winner: Candidate | None
    server: str | None
    addresses: list[str]
    detail: str


def walk_dns(candidates: list[Candidate], answers: list[DnsAnswer], conf: ResolvConf) -> DnsWalk:
    """res_search over the candidates: resolv.conf's servers in order, the first that replies
    decides a name; NXDOMAIN, NODATA and SERVFAIL go on to the next candidate, a name no
    server replied to ends the search (TRY_AGAIN)."""
    types = ("A",) if "no-aaaa" in conf.options else ("A", "AAAA")
    for candidate in candidates:
        replied = _first_reply(candidate.qname, answers, conf.nameservers)
        if replied is None:
            detail = f"no server replied for {candidate.qname}"
            return DnsWalk("TRYAGAIN", None, None, [], detail)
        server, by_type = replied
        addresses = unique(a for t in types for a in by_type.get(t, []))
        if addresses:
            return DnsWalk("SUCCESS", candidate, server, addresses, f"{candidate.qname} answered")
    return DnsWalk("NOTFOUND", None, None, [], "no candidate name has A or AAAA records")


def _first_reply(
    qname: str, answers: list[DnsAnswer], nameservers: list[str]
) -> tuple[str, dict[str, list[str]]] | None:
    for server in nameservers:
        mine = [
            a for a in answers if a.qname == qname and a.server == server and a.from_resolv_conf
        ]
        if any(answer.rcode is not None for answer in mine):
            return server, {answer.type: answer.addresses for answer in mine}
    return None


def _module_installed(source: str) -> bool:
    if source in _BUILT_IN:
        return True
    import sysconfig

    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    directories = [*_LIBRARY_DIRS, *(f"{d}/{multiarch}" for d in _LIBRARY_DIRS if multiarch)]
    library = f"libnss_{source}.so.2"
    return any(os.path.exists(f"{directory}/{library}") for directory in directories)


def _myhostname(facts: _Facts) -> SourceOutcome:
    """nss-myhostname(8): the local host name, localhost and *.localhost, _gateway."""
    import socket

    bare = facts.name.rstrip(".").lower()
    hostname = socket.gethostname().lower()
    if bare in (hostname, "localhost", "localhost.localdomain") or bare.endswith(".localhost"):
        local = bare == hostname
        addresses = host_addresses() if local else []
        addresses = addresses or (["127.0.0.2", "::1"] if local else ["127.0.0.1", "::1"])
        return SourceOutcome("myhostname", "SUCCESS", None, addresses, f"{bare} is this host")
    if bare in ("_gateway", "_outbound"):
        return SourceOutcome("myhostname", None, None, [], f"{bare}: from the routing table")
    return SourceOutcome("myhostname", "NOTFOUND", None, [], "not this host's name")


def _files(facts: _Facts) -> SourceOutcome:
    hosts = facts.hosts
    if hosts.error is not None:
        return SourceOutcome("files", "UNAVAIL", None, [], hosts.error)
    if not hosts.matches:
        return SourceOutcome("files", "NOTFOUND", None, [], f"no line of {hosts.path}")
    numbers = ", ".join(str(line.line_number) for line in hosts.matches)
    return SourceOutcome("files", "SUCCESS", None, hosts.addresses, f"{hosts.path} line {numbers}")


def _dns(facts: _Facts) -> SourceOutcome:
    walk = facts.dns_outcome()
    return SourceOutcome("dns", walk.status, None, walk.addresses, walk.detail)


def _source_outcome(source: str, facts: _Facts) -> SourceOutcome:
    """What one source gives for the name, as far as netkit can tell without calling it."""
    if not _module_installed(source):
        return SourceOutcome(source, "UNAVAIL", None, [], f"libnss_{source}.so.2 is not installed")
    known: dict[str, Callable[[_Facts], SourceOutcome]] = {
        "files": _files,
        "dns": _dns,
        "myhostname": _myhostname,
    }
    if source in known:
        return known[source](facts)
    if source in _MDNS_MINIMAL and not facts.name.rstrip(".").lower().endswith(".local"):
        return SourceOutcome(source, "NOTFOUND", None, [], "answers only names in .local")
    if source == "resolve" and not os.path.exists(_RESOLVED_VARLINK):
        return SourceOutcome(source, "UNAVAIL", None, [], "systemd-resolved is not running")
    return SourceOutcome(source, None, None, [], "netkit cannot ask this source itself")


def walk_sources(facts: _Facts) -> list[SourceOutcome]:
    """The hosts line walked as glibc walks it, up to the source whose action is return."""
    walked = []
    for source in facts.nsswitch.sources:
        outcome = _source_outcome(source.name, facts)
        if outcome.status is None:
            walked.append(outcome)
            break  # what comes after depends on a result netkit cannot see
        action = source.actions[outcome.status]
        walked.append(replace(outcome, action=action))
        if action == "return":
            break
    return walked


def app_addresses(diagnosis: Diagnosis) -> list[str]:
    """What the application gets: getaddrinfo without AI_ADDRCONFIG, each address once."""
    return unique(info.address for info in diagnosis.getaddrinfo.results)


def attribute(diagnosis: Diagnosis) -> str | None:
    """The source whose addresses the application got: the one the walk stopped at when they
    match, or else the first that gave exactly those addresses (None when none did)."""
    got = set(app_addresses(diagnosis))
    if not got:
        return None
    sources = diagnosis.sources
    if sources and sources[-1].status == "SUCCESS" and set(sources[-1].addresses) == got:
        return sources[-1].source
    for outcome in sources:
        if outcome.addresses and set(outcome.addresses) == got:
            return outcome.source
    return None


def verdicts(diagnosis: Diagnosis, facts: _Facts) -> list[Verdict]:
    """Every difference found, most telling first; "agree" when there is none."""
    walk = facts.dns_outcome()
    checks: list[Callable[[], Verdict | None]] = [
        lambda: _unreachable(diagnosis),
        lambda: _hosts_override(diagnosis),
        lambda: _myhostname_verdict(diagnosis),
        lambda: _search(diagnosis, walk),
        lambda: _dns_not_asked(diagnosis),
        lambda: _dropped(diagnosis, "IPv6", "addrconfig-dropped-aaaa", "AAAA"),
        lambda: _dropped(diagnosis, "IPv4", "addrconfig-dropped-a", "A"),
        lambda: _no_aaaa(diagnosis),
        lambda: _legacy_ipv4(diagnosis),
        lambda: _servers_disagree(diagnosis),
    ]
    found = [verdict for check in checks if (verdict := check()) is not None]
    if found:
        return found
    app, dig = set(app_addresses(diagnosis)), set(diagnosis.dig_addresses)
    if app == dig:
        words = "the same addresses" if app else "no address either"
        return [Verdict("agree", f"the application and dig agree: {words}")]
    who = diagnosis.answered_by or "a source netkit cannot ask (resolve, mdns, nscd's cache?)"
    return [Verdict("unexplained", f"they differ, and the answer came from {who}")]


def _unreachable(diagnosis: Diagnosis) -> Verdict | None:
    mine = [answer for answer in diagnosis.dns if answer.from_resolv_conf]
    if mine and all(answer.rcode is None for answer in mine):
        servers = ", ".join(diagnosis.resolv_conf.nameservers)
        return Verdict("dns-unreachable", f"no DNS server answered: {servers}")
    return None


def _hosts_override(diagnosis: Diagnosis) -> Verdict | None:
    if diagnosis.answered_by != "files":
        return None
    hosts = diagnosis.hosts
    first = hosts.matches[0]
    if set(hosts.addresses) == set(diagnosis.dig_addresses):
        return None
    dig = ", ".join(diagnosis.dig_addresses) or "nothing"
    return Verdict(
        "hosts-file-override",
        f"{hosts.path} overrides DNS for this name (line {first.line_number}: "
        f"{first.address}); DNS says {dig}",
    )


def _myhostname_verdict(diagnosis: Diagnosis) -> Verdict | None:
    if diagnosis.answered_by != "myhostname":
        return None
    return Verdict("myhostname", "myhostname answers this name (nss-myhostname: this host)")


def _search(diagnosis: Diagnosis, walk: DnsWalk) -> Verdict | None:
    if diagnosis.answered_by != "dns" or walk.winner is None or walk.winner.reason != "search":
        return None
    name, winner, ndots = diagnosis.name, walk.winner, diagnosis.resolv_conf.ndots
    if diagnosis.dig_addresses:
        return Verdict(
            "ndots-search-first",
            f"ndots:{ndots}: names with fewer than {ndots} dots try the search list first: "
            f"{winner.qname} answered before {name}. was asked",
        )
    return Verdict(
        "search-domain-appended",
        f"the search domain {winner.domain} was appended: the application got "
        f"{winner.qname}, `dig {name}` asks for {name}. only",
    )


def _dns_not_asked(diagnosis: Diagnosis) -> Verdict | None:
    if diagnosis.getaddrinfo.results or not diagnosis.dig_addresses:
        return None
    if any(source.name == "dns" for source in diagnosis.nsswitch.sources):
        if any(outcome.source == "dns" for outcome in diagnosis.sources):
            return None
        stopped = diagnosis.sources[-1].source if diagnosis.sources else "?"
        return Verdict(
            "dns-not-reached", f"the hosts line stops at {stopped} before it reaches dns"
        )
    return Verdict("dns-not-in-nsswitch", "the hosts line of nsswitch.conf has no dns source")


def _dropped(diagnosis: Diagnosis, family: str, code: str, rdtype: str) -> Verdict | None:
    without = {info.address for info in diagnosis.getaddrinfo.results if info.family == family}
    kept = {i.address for i in diagnosis.getaddrinfo_addrconfig.results if i.family == family}
    if not without or kept:
        return None
    return Verdict(
        code,
        f"{rdtype} dropped by AI_ADDRCONFIG: this host has no {family} address other than loopback",
    )


def _no_aaaa(diagnosis: Diagnosis) -> Verdict | None:
    if "no-aaaa" not in diagnosis.resolv_conf.options:
        return None
    if not any(":" in address for address in diagnosis.dig_addresses):
        return None
    return Verdict("no-aaaa-option", "resolv.conf's options no-aaaa: glibc never asks for AAAA")


def _legacy_ipv4(diagnosis: Diagnosis) -> Verdict | None:
    legacy = diagnosis.gethostbyname
    if legacy.addresses or not any(i.family == "IPv6" for i in diagnosis.getaddrinfo.results):
        return None
    return Verdict(
        "legacy-ipv4-only", "gethostbyname knows only IPv4: this name has only IPv6 addresses"
    )


def _servers_disagree(diagnosis: Diagnosis) -> Verdict | None:
    as_is = diagnosis.name if diagnosis.name.endswith(".") else diagnosis.name + "."
    seen: dict[tuple[str, int], set[str]] = {}
    for answer in diagnosis.dns:
        if answer.qname == as_is and answer.rcode is not None:
            seen.setdefault((answer.server, answer.port), set()).update(answer.addresses)
    if len({frozenset(addresses) for addresses in seen.values()}) <= 1:
        return None
    servers = ", ".join(server for server, _port in seen)
    return Verdict("servers-disagree", f"the servers give different answers for {as_is}: {servers}")
