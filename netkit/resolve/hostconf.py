"""The system resolver's configuration as glibc reads it: nsswitch.conf's hosts line,
/etc/hosts and resolv.conf, and the names its stub resolver asks for.

Each parser takes a path, reads the file line by line and returns what it understood, never
raising on odd content: comments (# and ;), tabs, IPv6 scope ids, unknown keywords and very
long lines are taken the way glibc takes them, or skipped and counted where glibc skips them.
The rules cited are those of nsswitch.conf(5), hosts(5), resolv.conf(5) and glibc's
resolv/res_query.c (__res_context_search), which builds the list of names to ask.
"""

import ipaddress
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

NSSWITCH_CONF = "/etc/nsswitch.conf"
HOSTS = "/etc/hosts"
RESOLV_CONF = "/etc/resolv.conf"

# A line longer than this is cut before it is parsed: no real configuration line comes near
# it, and a hostile file must not make one line cost megabytes of splitting.
MAX_LINE = 64 * 1024
# Lines read at most from one file (a blocklist-style /etc/hosts has a few hundred thousand).
MAX_LINES = 2_000_000

STATUSES = ("SUCCESS", "NOTFOUND", "UNAVAIL", "TRYAGAIN")
ACTIONS = ("return", "continue", "merge")
# nsswitch.conf(5): what a source's result does when no [STATUS=ACTION] says otherwise.
DEFAULT_ACTIONS = {"SUCCESS": "return", "NOTFOUND": "continue", "UNAVAIL": "continue",
                   "TRYAGAIN": "continue"}  # fmt: skip
# glibc's hosts line when nsswitch.conf has none (nss/nss_database.c).
DEFAULT_HOSTS_LINE = "dns [!UNAVAIL=return] files"

# resolv.conf(5) limits, as glibc applies them.
MAX_NAMESERVERS = 3
MAX_NDOTS = 15
MAX_TIMEOUT = 30
MAX_ATTEMPTS = 5
FLAG_OPTIONS = frozenset({
    "rotate", "edns0", "single-request", "single-request-reopen", "no-tld-query", "use-vc",
    "no-reload", "trust-ad", "no-aaaa", "inet6", "debug", "no-check-names", "ip6-bytestring",
    "ip6-dotint", "no-ip6-dotint", "insecure1", "insecure2",
})  # fmt: skip
# Local stub resolvers of systemd-resolved: the stub and the proxy-only stub (resolved.conf(5)).
RESOLVED_STUBS = {"127.0.0.53": "systemd-resolved stub", "127.0.0.54": "systemd-resolved proxy"}


def _lines(path: str) -> Iterator[tuple[int, str]]:
    """(line number, text) of a file read as UTF-8 with undecodable bytes kept as escapes."""
    with open(path, encoding="utf-8", errors="surrogateescape", newline=None) as file:
        for number, line in enumerate(file, 1):
            if number > MAX_LINES:
                return
            yield number, line[:MAX_LINE].rstrip("\n")


@dataclass(frozen=True, slots=True)
class NssCriterion:
    """One [STATUS=ACTION] item as written, with its negation."""

    status: str  # SUCCESS, NOTFOUND, UNAVAIL, TRYAGAIN
    action: str  # return, continue, merge
    negated: bool = False  # [!STATUS=ACTION]: every other status


@dataclass(frozen=True, slots=True)
class NssSource:
    """A source of the hosts line and what each result status makes glibc do next."""

    name: str  # files, dns, myhostname, resolve, mdns4_minimal, ...
    criteria: list[NssCriterion] = field(default_factory=list)
    actions: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_ACTIONS))


@dataclass(frozen=True, slots=True)
class NsswitchHosts:
    """nsswitch.conf's hosts line, parsed."""

    path: str
    line: str  # the sources as written (DEFAULT_HOSTS_LINE when there is none)
    line_number: int | None  # None: the file or the line is missing and glibc's default holds
    sources: list[NssSource]
    problems: list[str] = field(default_factory=list)  # what was skipped, and why
    error: str | None = None  # the file could not be read


_NSS_TOKEN = re.compile(r"\[[^\]]*\]?|[^\s\[]+")
_NSS_ITEM = re.compile(r"(!?)\s*([A-Za-z]+)\s*=\s*([A-Za-z]+)")


def parse_nss_sources(text: str) -> tuple[list[NssSource], list[str]]:
    """The sources of one database line ("files [NOTFOUND=return] dns") and its problems."""
    sources: list[NssSource] = []
    problems: list[str] = []
    for token in _NSS_TOKEN.findall(text):
        if not token.startswith("["):
            sources.append(NssSource(token))
            continue
        if not sources:
            problems.append(f"{token} comes before any source")
            continue
        criteria = _criteria(token, problems)
        source = sources[-1]
        for criterion in criteria:
            targets = (
                [s for s in STATUSES if s != criterion.status]
                if criterion.negated
                else [criterion.status]
            )
            for status in targets:
                source.actions[status] = criterion.action
        source.criteria.extend(criteria)
    return sources, problems


def _criteria(token: str, problems: list[str]) -> list[NssCriterion]:
    if not token.endswith("]"):
        problems.append(f"{token} is not closed by ]")
    inner = token.strip("[]")
    found = []
    for negation, status, action in _NSS_ITEM.findall(inner):
        if status.upper() not in STATUSES or action.lower() not in ACTIONS:
            problems.append(f"unknown status or action in {token}: {status}={action}")
            continue
        found.append(NssCriterion(status.upper(), action.lower(), negated=bool(negation)))
    if not found and not problems:
        problems.append(f"{token} names no STATUS=ACTION")
    return found


def read_nsswitch(path: str = NSSWITCH_CONF) -> NsswitchHosts:
    """The hosts line of nsswitch.conf (the first one, as glibc takes it), or glibc's default."""
    problems: list[str] = []
    try:
        for number, line in _lines(path):
            database, colon, rest = line.partition("#")[0].partition(":")
            if colon and database.strip().lower() == "hosts":
                sources, problems = parse_nss_sources(rest)
                return NsswitchHosts(path, " ".join(rest.split()), number, sources, problems)
    except OSError as error:
        sources, _ = parse_nss_sources(DEFAULT_HOSTS_LINE)
        reason = error.strerror or str(error)
        return NsswitchHosts(path, DEFAULT_HOSTS_LINE, None, sources, error=f"{path}: {reason}")
    sources, _ = parse_nss_sources(DEFAULT_HOSTS_LINE)
    return NsswitchHosts(path, DEFAULT_HOSTS_LINE, None, sources, problems)


@dataclass(frozen=True, slots=True)
class HostsLine:
    """A line of /etc/hosts that names the host looked up."""

    line_number: int
    address: str  # in canonical form ("2001:db8::1")
    family: str  # IPv4, IPv6
    names: list[str]  # the canonical name, then the aliases


@dataclass(frozen=True, slots=True)
class HostsMatches:
    """The lines of /etc/hosts that match a name (hosts(5): canonical name or alias, any case)."""

    path: str
    matches: list[HostsLine] = field(default_factory=list)
    skipped: int = 0  # lines whose first field glibc cannot parse as an address (a scope id)
    error: str | None = None

    @property
    def addresses(self) -> list[str]:
        return unique(line.address for line in self.matches)


def parse_address(text: str, *, scoped: bool = False) -> tuple[str, str] | None:
    """(address, family) for an address as written; None when it is no address.

    An IPv6 scope id ("fe80::1%eth0") is kept when scoped: resolv.conf's nameserver lines
    take one, while glibc's files source cannot parse one and skips such a hosts line.
    """
    bare, percent, scope = text.partition("%")
    try:
        address = ipaddress.ip_address(bare)
    except ValueError:
        return None
    if percent and (address.version == 4 or not scoped or not scope):
        return None
    return str(address) + (f"%{scope}" if scope else ""), f"IPv{address.version}"


def read_hosts(name: str, path: str = HOSTS) -> HostsMatches:
    """The lines of the hosts file that name `name` (a trailing dot is part of the name, as
    files compares it)."""
    wanted = name.lower()
    matches = []
    skipped = 0
    try:
        for number, line in _lines(path):
            fields = line.partition("#")[0].split()
            if len(fields) < 2:
                continue
            parsed = parse_address(fields[0])
            if parsed is None:
                skipped += 1
                continue
            if any(alias.lower() == wanted for alias in fields[1:]):
                matches.append(HostsLine(number, parsed[0], parsed[1], fields[1:]))
    except OSError as error:
        return HostsMatches(path, error=f"{path}: {error.strerror or error}")
    return HostsMatches(path, matches, skipped)


@dataclass(frozen=True, slots=True)
class Stub:
    """A resolver on this host that resolv.conf points at."""

    address: str
    kind: str  # "systemd-resolved stub", "systemd-resolved proxy", "local resolver"


@dataclass(frozen=True, slots=True)
class ResolvConf:
    """resolv.conf as glibc's res_init reads it (with LOCALDOMAIN and RES_OPTIONS applied)."""

    path: str
    nameservers: list[str]  # in use: the first three (MAXNS)
    search: list[str]
    search_from: str | None  # "search", "domain", "LOCALDOMAIN", "hostname" or None
    ndots: int = 1
    timeout: int = 5
    attempts: int = 2
    options: list[str] = field(default_factory=list)  # flag options set: rotate, edns0, ...
    ignored: list[str] = field(default_factory=list)  # nameservers past the third, bad lines
    stubs: list[Stub] = field(default_factory=list)
    symlink: str | None = None  # where /etc/resolv.conf points, when it is a symlink
    error: str | None = None


@dataclass
class _ResolvState:
    nameservers: list[str] = field(default_factory=list)
    search: list[str] = field(default_factory=list)
    search_from: str | None = None
    numbers: dict[str, int] = field(
        default_factory=lambda: {"ndots": 1, "timeout": 5, "attempts": 2}
    )
    options: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


_NUMBER_LIMITS = {"ndots": MAX_NDOTS, "timeout": MAX_TIMEOUT, "attempts": MAX_ATTEMPTS}


def _apply_options(words: list[str], state: _ResolvState) -> None:
    for word in words:
        key, colon, value = word.partition(":")
        if colon and key in _NUMBER_LIMITS:
            if value.isdigit():
                state.numbers[key] = min(int(value), _NUMBER_LIMITS[key])
            else:
                state.ignored.append(f"options {word}")
        elif word in FLAG_OPTIONS:
            if word not in state.options:
                state.options.append(word)
        else:
            state.ignored.append(f"options {word}")


def _nameserver(text: str) -> str | None:
    parsed = parse_address(text, scoped=True)
    return None if parsed is None else parsed[0]


def _resolv_line(fields: list[str], state: _ResolvState) -> None:
    keyword, values = fields[0], fields[1:]
    if keyword == "nameserver" and values:
        server = _nameserver(values[0])
        if server is None:
            state.ignored.append(f"nameserver {values[0]}")
        elif len(state.nameservers) < MAX_NAMESERVERS:
            state.nameservers.append(server)
        else:
            state.ignored.append(f"nameserver {server} (only the first {MAX_NAMESERVERS} count)")
    elif keyword in ("search", "domain") and values:
        # The last of domain and search wins; domain sets a one-domain list.
        state.search = values if keyword == "search" else values[:1]
        state.search_from = keyword
    elif keyword == "options":
        _apply_options(values, state)


def read_resolv_conf(
    path: str = RESOLV_CONF,
    environ: Mapping[str, str] | None = None,
    hostname: str | None = None,
) -> ResolvConf:
    """resolv.conf as glibc reads it: environment overrides and documented defaults applied.

    environ (os.environ by default) supplies LOCALDOMAIN and RES_OPTIONS; hostname (the
    system's by default) supplies the default domain when there is no search or domain line.
    """
    environ = os.environ if environ is None else environ
    state = _ResolvState()
    error = None
    try:
        for _number, line in _lines(path):
            fields = line.split()
            if fields and not fields[0].startswith(("#", ";")):
                _resolv_line(fields, state)
    except OSError as failure:
        error = f"{path}: {failure.strerror or failure}"
    _environment(environ, state)
    if state.search_from is None:
        domain = _hostname_domain(hostname)
        if domain:
            state.search, state.search_from = [domain], "hostname"
    # resolv.conf(5): with no nameserver line the resolver asks the local machine.
    nameservers = state.nameservers or ["127.0.0.1"]
    return ResolvConf(
        path=path,
        nameservers=nameservers,
        search=state.search,
        search_from=state.search_from,
        ndots=state.numbers["ndots"],
        timeout=state.numbers["timeout"],
        attempts=state.numbers["attempts"],
        options=state.options,
        ignored=state.ignored,
        stubs=find_stubs(nameservers),
        symlink=_symlink(path),
        error=error,
    )


def _environment(environ: Mapping[str, str], state: _ResolvState) -> None:
    local_domain = environ.get("LOCALDOMAIN")
    if local_domain is not None:
        state.search, state.search_from = local_domain.split(), "LOCALDOMAIN"
    options = environ.get("RES_OPTIONS")
    if options:
        _apply_options(options.split(), state)


def _hostname_domain(hostname: str | None) -> str | None:
    """res_init's default domain: the host name after its first dot."""
    if hostname is None:
        import socket

        hostname = socket.gethostname()
    _, dot, domain = hostname.partition(".")
    return domain.rstrip(".") or None if dot else None


def _symlink(path: str) -> str | None:
    try:
        return os.readlink(path)
    except OSError:
        return None


def find_stubs(nameservers: list[str]) -> list[Stub]:
    """The nameservers that are this host: systemd-resolved's stubs, or another local resolver."""
    stubs = []
    for server in nameservers:
        kind = RESOLVED_STUBS.get(server)
        if kind is None and ipaddress.ip_address(server.partition("%")[0]).is_loopback:
            kind = "local resolver"
        if kind is not None:
            stubs.append(Stub(server, kind))
    return stubs


@dataclass(frozen=True, slots=True)
class Candidate:
    """A name the stub resolver asks for, in the order it asks."""

    qname: str  # absolute: "api.corp.example."
    reason: str  # "as-is" or "search"
    domain: str | None = None  # the search domain appended


def candidate_names(name: str, conf: ResolvConf) -> list[Candidate]:
    """The names glibc's res_search asks for, in order (resolv/res_query.c).

    A trailing dot means the name is absolute: it alone is asked. A name with at least ndots
    dots is asked as it is first. Then, when the name has no dots (RES_DEFNAMES) or has dots
    but no trailing one (RES_DNSRCH), each search domain is appended in turn. Last, a name not
    asked as it is yet is asked so, unless no-tld-query forbids it for a name without dots;
    a root domain (".") in the search list stands for that last try.
    """
    trailing_dot = name.endswith(".")
    if trailing_dot:
        return [Candidate(name, "as-is")]
    dots = name.count(".")
    candidates = []
    tried_as_is = dots >= conf.ndots
    if tried_as_is:
        candidates.append(Candidate(name + ".", "as-is"))
    root_on_list = False
    for domain in conf.search:
        bare = domain.removeprefix(".").rstrip(".")
        root_on_list = root_on_list or not bare
        qname = f"{name}.{bare}." if bare else name + "."
        if all(candidate.qname != qname for candidate in candidates):
            candidates.append(Candidate(qname, "search" if bare else "as-is", bare or None))
    searched = bool(conf.search)
    no_tld = "no-tld-query" in conf.options
    if (dots or not searched or not no_tld) and not (tried_as_is or root_on_list):
        candidates.append(Candidate(name + ".", "as-is"))
    return candidates


def unique(values: Iterator[str] | list[str]) -> list[str]:
    """values without repeats, in their first order."""
    return list(dict.fromkeys(values))
