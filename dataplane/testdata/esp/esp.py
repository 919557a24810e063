#!/usr/bin/python3
"""ESP peer for tunfwd's tests, on scapy's SecurityAssociation (and the
cryptography package for deliberately malformed packets).

Reads one JSON request on stdin:
  {"op": "decrypt", "sa": SA, "pcap": path, "esn_highs": [n, ...] (optional)}
      -> {"packets": [{"spi": n, "seq": n, "udp": bool, "inner": hex, "csum_ok": bool}]}
  {"op": "encrypt", "sa": SA, "pcap": path, "src_mac":..., "dst_mac":...,
   "packets": [{"inner": hex, "seq": n, "seq_high": n, "tamper": "", "pad": "", "next": n}]}
      (or "sas": [SA, ...] and each packet's "sa": its index)
      -> writes the pcap of Ether/IP/ESP (or Ether/IP/UDP/ESP) frames
SA: {"spi", "src", "dst", "aead"|"cipher"+"auth", "key", "salt", "auth_key", "esn", "udp"}
"""
import json
import os
import struct
import sys

from scapy.all import IP, IPv6, UDP, Ether, wrpcap, rdpcap, raw
from scapy.layers.ipsec import ESP, SecurityAssociation

CRYPT = {"aes-128-gcm": "AES-GCM", "aes-256-gcm": "AES-GCM",
         "aes-128-cbc": "AES-CBC", "aes-256-cbc": "AES-CBC", "null": "NULL"}
AUTH = {"hmac-sha1-96": "HMAC-SHA1-96", "hmac-sha256-128": "SHA2-256-128", "null": "NULL"}


def make_sa(s, tunnel_src, tunnel_dst):
    key = bytes.fromhex(s.get("key", ""))
    kw = {}
    if s.get("aead"):
        kw["crypt_algo"] = CRYPT[s["aead"]]
        kw["crypt_key"] = key + bytes.fromhex(s["salt"])  # scapy wants the salt after the key
    else:
        kw["crypt_algo"] = CRYPT[s["cipher"]]
        kw["crypt_key"] = key or None
        kw["auth_algo"] = AUTH[s["auth"]]
        kw["auth_key"] = bytes.fromhex(s.get("auth_key", "")) or None
    if s.get("udp"):
        kw["nat_t_header"] = UDP(sport=4500, dport=4500)
    outer = IPv6 if ":" in tunnel_src else IP
    return SecurityAssociation(ESP, spi=s["spi"], tunnel_header=outer(src=tunnel_src, dst=tunnel_dst),
                               esn_en=bool(s.get("esn")), **kw)


def csum_ok(ip):
    b = raw(ip)
    again = IP(b)
    del again.chksum
    return raw(again)[:20] == b[:20]


def decrypt(req):
    s = req["sa"]
    sa = make_sa(s, s["src"], s["dst"])
    out = []
    highs = req.get("esn_highs")  # per packet: the ESN high bits the sender used
    for i, fr in enumerate(rdpcap(req["pcap"])):
        high = highs[i] if highs else req.get("esn_high", 0)
        if IPv6 in fr and fr[IPv6].nh == 50:
            ip = fr[IPv6]
            esp = ip[ESP]
            outer = {"spi": esp.spi, "seq": esp.seq, "udp": False, "outer_len": 40 + ip.plen,
                     "tos": ip.tc, "df": False, "outer_csum_ok": True, "v6": True}
        else:
            ip = fr[IP]
            esp = ip[ESP] if ESP in ip else ESP(raw(ip[UDP].payload))
            outer = {"spi": esp.spi, "seq": esp.seq, "udp": UDP in ip and ip[UDP].dport == 4500,
                     "outer_len": ip.len, "tos": ip.tos, "df": bool(ip.flags.DF), "outer_csum_ok": csum_ok(ip)}
        inner = sa.decrypt(ip, esn_en=bool(s.get("esn")), esn=high)
        # an IPv6 inner packet (ESP next header 41) has no header checksum
        ok = csum_ok(inner) if raw(inner)[0] >> 4 == 4 else True
        outer.update({"inner": raw(inner).hex(), "csum_ok": ok})
        out.append(outer)
    json.dump({"packets": out}, sys.stdout)


def raw_gcm(s, inner, seq, pad, nxt):
    """ESP by hand (RFC 4303 2, RFC 4106), with chosen padding and next header."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    key, salt = bytes.fromhex(s["key"]), bytes.fromhex(s["salt"])
    iv = os.urandom(8)
    n = len(inner) + 2
    plen = (-n) % 4 or 4
    padding = bytes(range(1, plen + 1)) if pad == "" else bytes([0xaa] * plen)
    plain = inner + padding + bytes([plen, nxt])
    hdr = struct.pack("!II", s["spi"], seq)
    return hdr + iv + AESGCM(key).encrypt(salt + iv, plain, hdr)


def encrypt(req):
    sas = req.get("sas") or [req["sa"]]  # "sas": several SAs, a packet's "sa" its index
    made = [make_sa(x, x["src"], x["dst"]) for x in sas]
    frames = []
    for p in req["packets"]:
        s, sa = sas[p.get("sa", 0)], made[p.get("sa", 0)]
        inner = bytes.fromhex(p["inner"])
        if p.get("pad") or p.get("next"):
            body = raw_gcm(s, inner, p["seq"], p.get("pad", ""), p.get("next", 4))
            outer = IP(src=s["src"], dst=s["dst"], proto=50) / body
            outer = IP(raw(outer))
        else:
            high = p.get("seq_high", 0)
            sa.seq_num = p["seq"]  # scapy reads seq_num=0 as "the SA's counter": set that too
            cls = IPv6 if inner[0] >> 4 == 6 else IP  # next header 41 or 4
            outer = sa.encrypt(cls(inner), seq_num=p["seq"], esn_en=bool(s.get("esn")), esn=high)
            outer = (IPv6 if ":" in s["src"] else IP)(raw(outer))
        b = bytearray(raw(outer))
        if s.get("udp"):
            # scapy 2.5 leaves the NAT-T header's length at 8: make it cover the ESP
            struct.pack_into("!HH", b, 24, len(b) - 20, 0)
        t = p.get("tamper", "")
        if t == "ciphertext":
            b[len(b) // 2] ^= 0x01
        elif t == "icv":
            b[-1] ^= 0x80
        frames.append(Ether(src=req["src_mac"], dst=req["dst_mac"]) / (IPv6 if ":" in s["src"] else IP)(bytes(b)))
    wrpcap(req["pcap"], frames)
    json.dump({"written": len(frames)}, sys.stdout)


req = json.load(sys.stdin)
{"decrypt": decrypt, "encrypt": encrypt}[req["op"]](req)
