#!/usr/bin/env python3
"""The fastest `ss -tani` CPython can be here: the yardstick for `netkit conns -ti`.

It asks the kernel what ss asks (one sock_diag dump per address family: TCP sockets in every
state, with tcp_info and the congestion control algorithm) and prints a line per socket with
ss -i's numbers, and does nothing else: no command-line parsing, no process lookup, no row
objects, every field printed by one format template (ss leaves out the zero ones; that costs a
test per field, left out here so that the yardstick is a lower bound). So its time over ss's is
the least any CPython program can take for this listing on this machine, before a command line
framework is imported or a process is looked up.

    python scripts/bare_conns_info.py > /dev/null
"""

import socket
import struct
import sys

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
INET_DIAG_INFO, INET_DIAG_CONG = 2, 4
ALL_STATES = 0xFFF
# ss's names of the TCP states, by number (include/net/tcp_states.h).
STATES = ("UNKNOWN", "ESTAB", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT",
          "UNCONN", "CLOSE-WAIT", "LAST-ACK", "LISTEN", "CLOSING", "NEW-SYN-RECV")  # fmt: skip

_NLMSGHDR = struct.Struct("=IHHII")
_REQUEST = struct.Struct("=BBBBI48x")  # inet_diag_req_v2 with an empty inet_diag_sockid
# inet_diag_msg: family, state, timer, retrans, sport and dport (big-endian), src, dst,
# interface, cookie, expires, rqueue, wqueue, uid, inode.
_MESSAGE = struct.Struct("=BBBB2H16s16sIQIIIII")
_ATTRIBUTE = struct.Struct("=HH")
# struct tcp_info up to tcpi_rcv_wnd (linux/tcp.h): 8 octets, 24 u32, then the later fields.
_TCP_INFO = struct.Struct("=8B24I4Q6I4Q2I2Q5I")

_LINE = (
    "{} {} {} {}:{} {}:{}\n\t {} wscale:{},{} rto:{} rtt:{}/{} mss:{} pmtu:{} rcvmss:{} "
    "advmss:{} cwnd:{} ssthresh:{} bytes_sent:{} bytes_acked:{} bytes_received:{} segs_out:{} "
    "segs_in:{} lastsnd:{} lastrcv:{} lastack:{} pacing_rate {}bps delivery_rate {}bps "
    "delivered:{} unacked:{} retrans:{}/{} lost:{} reordering:{} rcv_space:{} minrtt:{} "
    "snd_wnd:{}\n"
).format


def listing(family: int) -> list[str]:
    lines: list[str] = []
    add = lines.append
    ntop = socket.inet_ntop
    size = 4 if family == socket.AF_INET else 16
    extensions = 1 << (INET_DIAG_INFO - 1) | 1 << (INET_DIAG_CONG - 1)
    request = _REQUEST.pack(family, socket.IPPROTO_TCP, extensions, 0, ALL_STATES)
    unpack_header, unpack_message = _NLMSGHDR.unpack_from, _MESSAGE.unpack_from
    unpack_attribute, unpack_info = _ATTRIBUTE.unpack_from, _TCP_INFO.unpack_from
    padding = bytes(_TCP_INFO.size)
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG) as sock:
        header = _NLMSGHDR.pack(16 + len(request), SOCK_DIAG_BY_FAMILY,
                                NLM_F_REQUEST | NLM_F_DUMP, 1, 0)  # fmt: skip
        sock.sendall(header + request)
        buffer = bytearray(1 << 20)
        while True:
            received = sock.recv_into(buffer)
            offset = 0
            while offset < received:
                length, kind, _, _, _ = unpack_header(buffer, offset)
                if kind in (NLMSG_DONE, NLMSG_ERROR):
                    return lines
                (_, state, _, _, sport, dport, src, dst, _, _, _, rqueue, wqueue, _,
                 _) = unpack_message(buffer, offset + 16)  # fmt: skip
                info, congestion = padding, ""
                at, end = offset + 16 + _MESSAGE.size, offset + length
                while at < end:
                    size_of, attribute = unpack_attribute(buffer, at)
                    if attribute == INET_DIAG_INFO:
                        info = bytes(buffer[at + 4 : at + size_of]).ljust(_TCP_INFO.size, b"\0")
                    elif attribute == INET_DIAG_CONG:
                        congestion = bytes(buffer[at + 4 : at + size_of]).rstrip(b"\0").decode()
                    at += (size_of + 3) & ~3
                i = unpack_info(info)
                add(_LINE(
                    STATES[state], rqueue, wqueue, ntop(family, src[:size]), socket.ntohs(sport),
                    ntop(family, dst[:size]), socket.ntohs(dport), congestion,
                    i[6] & 15, i[6] >> 4, i[8] / 1000, i[23] / 1000, i[24] / 1000, i[10],
                    i[21], i[11], i[27], i[26], i[25], i[48], i[34], i[35], i[36], i[37], i[17],
                    i[19], i[20], i[32], i[42], i[46], i[12], i[15], i[31], i[14], i[28],
                    i[30], i[39], i[53],
                ))  # fmt: skip
                offset += (length + 3) & ~3


def main() -> int:
    sys.stdout.write("".join(listing(socket.AF_INET) + listing(socket.AF_INET6)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
