"""The resolv.conf search list (--search, like dig +search): which names a short name stands for.

resolv.conf(5): a name with at least ndots dots is tried as it is first, then with each search
domain appended; a name with fewer dots is tried with each search domain first, then as it is.
A name that ends with a dot is absolute and tried alone. 'search' and 'domain' lines replace
each other (the last one counts, as glibc reads them); without either the list is empty (glibc
would fall back to the host name's domain, which netkit does not guess).
"""

from dataclasses import dataclass

DEFAULT_NDOTS = 1
MAX_NDOTS = 15  # resolv.conf(5): values above 15 are capped


@dataclass(frozen=True, slots=True)
class SearchList:
    """The search domains and the ndots threshold of a resolv.conf."""

    domains: tuple[str, ...] = ()
    ndots: int = DEFAULT_NDOTS


def read_search_list(path: str) -> SearchList:
    """The 'search'/'domain' and 'options ndots:N' lines of the resolv.conf at path (an
    unreadable file is an empty list, as the C library treats it)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            lines = file.read().splitlines()
    except OSError:
        return SearchList()
    domains: tuple[str, ...] = ()
    ndots = DEFAULT_NDOTS
    for line in lines:
        fields = line.split()
        if not fields or fields[0].startswith(("#", ";")):
            continue
        if fields[0] == "search":
            domains = tuple(fields[1:])
        elif fields[0] == "domain":
            domains = tuple(fields[1:2])
        elif fields[0] == "options":
            for option in fields[1:]:
                if option.startswith("ndots:") and option[6:].isdigit():
                    ndots = min(int(option[6:]), MAX_NDOTS)
    return SearchList(domains, ndots)


def search_candidates(name: str, search: SearchList) -> list[str]:
    """The names to try for name, in order."""
    if name.endswith(".") or not search.domains:
        return [name]
    suffixed = [f"{name}.{domain.strip('.')}" for domain in search.domains if domain.strip(".")]
    if name.count(".") >= search.ndots:
        return [name, *suffixed]
    return [*suffixed, name]
