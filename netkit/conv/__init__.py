"""Conversions the C socket API does, as pure functions returning frozen results.

- ``byteorder``: htons/htonl and back;
- ``addresses``: inet_pton/inet_ntop, what kind an address is, CIDR facts of one network;
- ``subnets``: splitting, ranges and aggregation of networks (imported by its commands);
- ``sockaddr``: the bytes of a struct sockaddr (imported by its command).

The names callers used when this was one module are kept here.
"""

from netkit.conv.addresses import (
    IPV4_BITS,
    IPV6_BITS,
    AddressResult,
    CidrInfo,
    Family,
    InputForm,
    analyze_address,
    cidr_info,
    classify,
    int_to_text,
)
from netkit.conv.byteorder import (
    HOST_BYTE_ORDER,
    ByteOrderResult,
    ConversionError,
    convert_byte_order,
    parse_unsigned,
)

__all__ = [
    "HOST_BYTE_ORDER",
    "IPV4_BITS",
    "IPV6_BITS",
    "AddressResult",
    "ByteOrderResult",
    "CidrInfo",
    "ConversionError",
    "Family",
    "InputForm",
    "analyze_address",
    "cidr_info",
    "classify",
    "convert_byte_order",
    "int_to_text",
    "parse_unsigned",
]
