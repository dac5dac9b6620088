"""Host names as users type them and as resolvers need them: IDNA 2008, limits, reverse names."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ipaddress

# RFC 1035 section 2.3.4: 63 octets a label, 255 octets a name in wire form.
MAX_LABEL = 63
MAX_NAME = 255


class InvalidNameError(ValueError):
    """A name no resolver can look up; the message says why, in one line."""


@dataclass(slots=True)  # not frozen: one a name in a batch (see query.DnsQuestion)
class HostName:
    """One name to look up: what the user typed, and the ASCII (A-label) form sent on the wire."""

    text: str  # as given, e.g. "bücher.example"
    ascii: str  # IDNA 2008 A-labels, e.g. "xn--bcher-kva.example"; equal to text for ASCII names

    @property
    def is_idn(self) -> bool:
        return self.text != self.ascii


def _to_ascii(text: str) -> str:
    if text.isascii():
        return text
    import idna  # IDNA 2008 (RFC 5891) with the UTS 46 mapping browsers use; only for IDNs

    try:
        return idna.encode(text, uts46=True, transitional=False).decode("ascii")
    except idna.IDNAError as error:
        raise InvalidNameError(f"'{text}' is not a valid internationalized name: {error}") from None


def check_limits(ascii_name: str, shown: str) -> None:
    """Raise InvalidNameError for an empty label, a label over 63 octets or a name over 255."""
    if ascii_name in (".", ""):
        if ascii_name == "":
            raise InvalidNameError("empty name")
        return
    stripped = ascii_name.removesuffix(".")
    labels = stripped.split(".")
    # The usual name, checked at once: in ASCII a label's octets are its characters, and the
    # wire form is each label with its length octet and the root's, len(stripped) + 2 octets.
    # Any other goes through the loop below, which says what is wrong.
    if (
        stripped.isascii()
        and "" not in labels
        and max(map(len, labels)) <= MAX_LABEL
        and len(stripped) + 2 <= MAX_NAME
    ):
        return
    wire_length = 1  # the root label's length octet
    for label in labels:
        if not label:
            raise InvalidNameError(f"'{shown}' has an empty label")
        octets = len(label.encode())
        if octets > MAX_LABEL:
            raise InvalidNameError(
                f"'{shown}' has a label of {octets} octets (at most {MAX_LABEL}): {label[:20]}..."
            )
        wire_length += octets + 1
    if wire_length > MAX_NAME:
        raise InvalidNameError(f"'{shown}' is {wire_length} octets long (at most {MAX_NAME})")


def host_name(text: str) -> HostName:
    """Validate and IDNA-encode a host name (escapes like \\. are left to the DNS layer)."""
    stripped = text.strip()
    return HostName(stripped, _checked_ascii(stripped))


def ascii_form(text: str) -> str:
    """host_name(text).ascii, without the HostName: a batch asks it of every name."""
    return _checked_ascii(text.strip())


def _checked_ascii(stripped: str) -> str:
    """The A-label form of a name already stripped, or InvalidNameError saying what is wrong."""
    if not stripped:
        raise InvalidNameError("empty name")
    # An IDN is checked in its A-label form: that is what the 63/255-octet limits apply to.
    if stripped.isascii():
        ascii_name = stripped
    else:
        labels = stripped.removesuffix(".").split(".")
        if not all(labels):
            raise InvalidNameError(f"'{stripped}' has an empty label")
        ascii_name = _to_ascii(stripped.removesuffix("."))
        ascii_name += "." if stripped.endswith(".") else ""
    if "\\" not in ascii_name:
        check_limits(ascii_name, stripped)
    return ascii_name


def parse_address(text: str) -> "ipaddress.IPv4Address | ipaddress.IPv6Address":
    """An IPv4 or IPv6 address for a reverse lookup, or InvalidNameError saying it is not one."""
    import ipaddress  # only reverse lookups need it

    try:
        return ipaddress.ip_address(text.strip().split("%", 1)[0])
    except ValueError:
        raise InvalidNameError(f"'{text}' is not an IPv4 or IPv6 address") from None


def reverse_name(text: str) -> str:
    """The PTR name of an address (RFC 1035 section 3.5, RFC 3596 section 2.5), absolute."""
    return parse_address(text).reverse_pointer + "."


def unicode_form(ascii_name: str) -> str:
    """The U-label form of a name that has xn-- labels (for display); the name itself otherwise."""
    if "xn--" not in ascii_name.lower():
        return ascii_name
    import idna

    try:
        labels = ascii_name.removesuffix(".").split(".")
        decoded = ".".join(idna.decode(label) if label else label for label in labels)
    except (idna.IDNAError, UnicodeError):
        return ascii_name
    return decoded + ("." if ascii_name.endswith(".") else "")
