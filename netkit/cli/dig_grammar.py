"""dig's argument grammar for `netkit resolve`: @SERVER, NAME TYPE, +options.

`dig @127.0.0.1 nk.test MX +short` reads MX as the record type and +short as an option, not
as more names. read_arguments() sorts the positional arguments of `netkit resolve` the same
way, where the reading is unambiguous:

- '@...' is a server (query.split_server reads its forms: ADDR#PORT, ADDR:PORT, [V6]:PORT);
- '+word' is one of dig's query options that netkit has (+short, +tcp, +dnssec, +norec,
  +nsid, +cd, +noedns, +search, +trace, ...) and sets the netkit option it stands for; any
  other is refused with the netkit spelling, never sent as a name;
- after the first name, a record type mnemonic or TYPEnnn (any case) is a type of the name
  before it, IXFR=SERIAL an IXFR from that serial, and a class (IN, CH, HS) the class of the
  questions (one for the whole command line: netkit asks no mixed classes). The first name
  is always a name, so `netkit resolve mx` still looks up the host mx; a later name that
  spells a type is written with its final dot: `netkit resolve @ns example.com MX.`.

The function is pure: it returns what it read, and the command applies it.
"""

from typing import Any, NamedTuple

import click

# A name and the record types given after it (none: -t's).
NameLine = tuple[str, tuple[str, ...]]


class DigOption(NamedTuple):
    """A +option: the netkit option (a field of the parsed command line) it sets."""

    field: str
    value: object
    default: object  # the field's value when the netkit option is not given


_ON_OFF = {
    "short": ("short", True, False),
    "tcp": ("transport", "tcp", None),
    "vc": ("transport", "tcp", None),
    "tls": ("transport", "tls", None),
    "dnssec": ("dnssec", True, False),
    "recurse": ("no_recurse", False, False),
    "rec": ("no_recurse", False, False),
    "edns": ("no_edns", False, False),
    "nsid": ("nsid", True, False),
    "search": ("search", True, False),
    "cdflag": ("cd", True, False),
    "cd": ("cd", True, False),  # dig takes the shortest unambiguous prefix: +cd is +cdflag
    "adflag": ("ad", True, False),
    "padding": ("padding", True, False),
}
_SET_BY_NO = {  # +noX sets the field to this value instead of the default
    "recurse": True,
    "rec": True,
    "edns": True,
}
# dig's options that netkit spells another way, or has not: the hint of their refusal.
_HINTS = {
    "json": "--json (+json is not dig's)",
    "yaml": "--json",
    "time": "--timeout SECONDS",
    "tries": "--retries N (the tries after the first)",
    "retry": "--retries N",
    "https": "--https URL",
    "tls-ca": "--tls-ca FILE",
    "tls-hostname": "--tls-hostname NAME",
    "noall": "--short, or --json for every section",
    "answer": "--short, or --json for every section",
    "stats": "the default output",
    "multiline": "--json",
    "subnet": "--subnet ADDR[/LEN]",
    "cookie": "--cookie[=HEX]",
    "bufsize": "--bufsize N",
    "ednsopt": "--ednsopt CODE[:HEX]",
    "padding": "--padding (blocks of 128 octets)",
}
_CLASSES = {"IN", "CH", "CHAOS", "HS", "HESIOD"}
# (No regular expressions here: compiling them would cost every `netkit resolve` a millisecond.)


class DigReading(NamedTuple):
    servers: list[str]  # the '@...' arguments as given
    names: list[NameLine]
    options: list[tuple[str, DigOption]]  # (the +word as given, what it sets)
    serial: int | None  # IXFR=SERIAL
    rdclass: str | None  # a class after a name (IN, CH, HS): the class of every question


def read_arguments(arguments: tuple[str, ...]) -> DigReading:
    """Sort positional arguments as dig reads them; click.UsageError for what netkit refuses."""
    servers: list[str] = []
    names: list[NameLine] = []
    options: list[tuple[str, DigOption]] = []
    serial = None
    rdclass = None
    for word in arguments:
        if word.startswith("@"):
            servers.append(word)
        elif word.startswith("+") and len(word) > 1:
            options.append((word, dig_option(word)))
        elif names and (ixfr_serial := _ixfr_serial(word)) is not None:
            serial = ixfr_serial
            names[-1] = (names[-1][0], (*names[-1][1], "IXFR"))
        elif names and (rdtype := record_type(word)) is not None:
            names[-1] = (names[-1][0], (*names[-1][1], rdtype))
        elif names and is_class(word):
            rdclass = class_mnemonic(word)
        else:
            names.append((word, ()))
    return DigReading(servers, names, options, serial, rdclass)


def _ixfr_serial(word: str) -> int | None:
    """N when word is IXFR=N (any case), else None."""
    prefix, _, number = word.partition("=")
    if prefix.upper() == "IXFR" and number.isascii() and number.isdigit() and len(number) <= 10:
        return int(number)
    return None


def _may_be_mnemonic(word: str) -> bool:
    """A letter, then letters, digits or dashes, 16 at most (no dot): only such words are
    looked up as types, so the names of a batch never load dnspython's table of types."""
    return (
        0 < len(word) <= 16
        and word.isascii()
        and word[0].isalpha()
        and word.replace("-", "").isalnum()
    )


def record_type(word: str) -> str | None:
    """The canonical mnemonic when word is a record type (MX, mx, TYPE65534), else None."""
    if not _may_be_mnemonic(word):
        return None
    from netkit.resolve.wire import type_text, type_value

    try:
        return type_text(type_value(word))
    except ValueError:
        return None


def is_class(word: str) -> bool:
    upper = word.upper()
    number = upper.removeprefix("CLASS")
    return upper in _CLASSES or (number != upper and number.isascii() and number.isdigit())


def class_mnemonic(word: str) -> str:
    from netkit.resolve.wire import class_text, class_value

    return class_text(class_value(word))


def dig_option(word: str) -> DigOption:
    """What a +option sets; click.UsageError naming netkit's spelling for the others."""
    body = word[1:].lower()
    name = body.split("=", 1)[0]
    negated = name.startswith("no") and name[2:] in _ON_OFF
    key = name[2:] if negated else name
    if name == "trace":
        return DigOption("mode", "trace", None)
    if key in _ON_OFF and "=" not in body:
        field, value, default = _ON_OFF[key]
        if negated:
            value = _SET_BY_NO.get(key, default)
        return DigOption(field, value, default)
    hint = _HINTS.get(key) or _HINTS.get(key.removeprefix("no"))
    advice = f"use {hint}" if hint else "+short is --short, +tcp --tcp, +norec --no-recurse"
    raise click.UsageError(f"unknown dig option {word}; netkit spells options --long: {advice}")


def apply_options(
    parsed: dict[str, Any], options: list[tuple[str, DigOption]], modes: set[str]
) -> None:
    """Set the netkit options the +options stand for, in parsed (click's values).

    A +option that contradicts a netkit option given too (+notcp --tcp, +tcp --tls) is a
    usage error: neither silently wins. Among +options the last one wins, as in dig. modes
    are the values the mode flags take, so +trace works when `netkit resolve --trace` exists.
    """
    given = {option.field: parsed[option.field] for _word, option in options}
    for word, option in options:
        if option.field == "mode" and option.value not in modes:
            raise click.UsageError(
                f"unknown dig option {word}; netkit spells options --long: use --{option.value}"
            )
        current = given[option.field]  # among +options, as in dig, the last one wins
        if current not in (option.default, option.value):
            raise click.UsageError(f"{word} contradicts {_spelled(option.field, current)}")
        parsed[option.field] = option.value


def _spelled(field: str, value: object) -> str:
    if field in ("transport", "mode"):
        return f"--{value}"
    return "--" + field.replace("_", "-")
