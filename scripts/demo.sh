#!/usr/bin/env bash
# The built-in demo: generate inner traffic, run tunfwd over net_pcap ports
# (conf/demo.toml) until the inputs are drained, then check and show the
# output. Leaves build/demo/{*.out.pcap,summary.json}.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh
mkdir -p build/bin build/demo
go build -o build/bin/ ./cmd/tunfwd ./cmd/tfgen

N=${DEMO_PACKETS:-1000}
rm -f build/demo/*.pcap build/demo/summary.json
# lan: IPv4 UDP from 10.1.0.2 (16 flows, mixed sizes) to 10.2.0.1 -> GRE,
# then as many to 10.3.0.1 -> SRv6
build/bin/tfgen -o build/demo/lan-gre.pcap -n "$N" -flows 16 -mix \
	-src 10.1.0.2 -dst 10.2.0.1 -smac 02:00:00:00:00:01 -dmac 02:00:00:00:01:01
build/bin/tfgen -o build/demo/lan-srv6.pcap -n "$N" -flows 16 -mix \
	-src 10.1.0.2 -dst 10.3.0.1 -smac 02:00:00:00:00:01 -dmac 02:00:00:00:01:01
# ---- ESP demo (issue 4): lan also carries N packets to 10.4.0.1 -> SA esp-out ----
build/bin/tfgen -o build/demo/lan-esp.pcap -n "$N" -flows 16 -mix \
	-src 10.1.0.2 -dst 10.4.0.1 -smac 02:00:00:00:00:01 -dmac 02:00:00:00:01:01
# and N to 10.6.0.1 -> GRE tunnel gs-demo, over IPsec (SA gre-esp-out)
build/bin/tfgen -o build/demo/lan-gre-esp.pcap -n "$N" -flows 16 -mix -seed 2 \
	-src 10.1.0.2 -dst 10.6.0.1 -smac 02:00:00:00:00:01 -dmac 02:00:00:00:01:01
# ---- end ESP demo ----
mergecap -a -F pcap -w build/demo/lan.in.pcap build/demo/lan-gre.pcap build/demo/lan-srv6.pcap \
	build/demo/lan-esp.pcap build/demo/lan-gre-esp.pcap
# l2: TCP between two hosts of a bridged segment -> VXLAN VNI 100
build/bin/tfgen -o build/demo/l2.in.pcap -n "$N" -flows 16 -mix -proto tcp \
	-src 172.16.0.1 -dst 172.16.0.2 -smac 02:00:00:00:aa:01 -dmac 02:00:00:00:bb:01
# lan: more of the same to 10.5.0.1 -> L2TPv2; l2: VLAN 20 -> L2TPv3 (appended)
build/bin/tfgen -o build/demo/lan-l2tp.pcap -n "$N" -flows 16 -mix -seed 1 \
	-src 10.1.0.2 -dst 10.5.0.1 -smac 02:00:00:00:00:01 -dmac 02:00:00:00:01:01
build/bin/tfgen -o build/demo/l2-pw.pcap -n "$N" -flows 16 -mix -proto tcp -vlan 20 -seed 1 \
	-src 172.16.1.1 -dst 172.16.1.2 -smac 02:00:00:00:aa:02 -dmac 02:00:00:00:bb:02
for p in lan l2; do
	extra=build/demo/lan-l2tp.pcap
	[ "$p" = lan ] || extra=build/demo/l2-pw.pcap
	mergecap -a -F pcap -w build/demo/$p.both.pcap build/demo/$p.in.pcap "$extra"
	mv build/demo/$p.both.pcap build/demo/$p.in.pcap
	rm -f "$extra"
done
# wan: a real VXLAN capture (tcpdump's tests, see dataplane/testdata/captures)
cp dataplane/testdata/captures/vxlan.pcap build/demo/wan.in.pcap

build/bin/tunfwd --conf conf/demo.toml --idle-exit 1s --stats-period 0 \
	--stats-json build/demo/summary.json

# ---- ESP demo: tshark decrypts esp-out's frames with the demo keys ----
ESP_UAT='uat:esp_sa:"IPv4","192.168.203.1","192.168.202.1","0x00001001","AES-GCM with 16 octet ICV [RFC4106]","0x00112233445566778899aabbccddeeff01020304","NULL",""'
esp_good=$(tshark -n -r build/demo/wan.out.pcap -o esp.enable_encryption_decode:TRUE \
	-o esp.enable_authentication_check:TRUE -o "$ESP_UAT" -Y 'esp.icv_good == 1 && ip.dst == 10.4.0.1' \
	-T fields -e frame.number 2>/dev/null | wc -l)
GRE_ESP_UAT=${ESP_UAT/0x00001001/0x00001002}
gre_esp_good=$(tshark -n -r build/demo/wan.out.pcap -o esp.enable_encryption_decode:TRUE \
	-o esp.enable_authentication_check:TRUE -o "$GRE_ESP_UAT" \
	-Y 'esp.spi == 0x1002 && esp.icv_good == 1 && gre.key == 77 && ip.dst == 10.6.0.1' \
	-T fields -e frame.number 2>/dev/null | wc -l)
# ---- end ESP demo ----

/usr/bin/python3 - "$N" "$esp_good" "$gre_esp_good" <<'PY'
import json, sys
n = int(sys.argv[1])
esp_good, gre_esp_good = int(sys.argv[2]), int(sys.argv[3])  # ESP demo
s = json.load(open("build/demo/summary.json"))
t = {x["name"]: x for x in s["tunnels"]}
checks = [
    ("GRE encapsulated every lan packet", t["gre-demo"]["encap_packets"] == n),
    ("VXLAN encapsulated every l2 frame", t["vx100"]["encap_packets"] == n),
    ("SRv6 H.Encaps of every lan packet to 10.3/16", t["sr-demo"]["encap_packets"] == n),
    ("L2TPv2 encapsulated every lan packet to 10.5/16", t["l2tp-demo"]["encap_packets"] == n),
    ("L2TPv3 encapsulated every VLAN 20 frame", t["pw-demo"]["encap_packets"] == n),
    ("5 frames of vxlan.pcap decapsulated", t["vx100"]["decap_packets"] == 5),
    ("5 frames of vxlan.pcap not local", s["drops"]["not_local"] == 5),
    ("mempool full again", s["mempool"]["available"] == s["mempool"]["size"]),
    ("ESP: tshark decrypts every 10.4.0.1 packet, ICV good", esp_good == n),  # ESP demo
    ("GRE over IPsec: every 10.6.0.1 packet in GRE key 77 inside SPI 0x1002", gre_esp_good == n
     and t["gs-demo"]["encap_packets"] == n),  # ESP demo
]
bad = [c for c, ok in checks if not ok]
for c, ok in checks:
    print(("ok   " if ok else "FAIL ") + c)
sys.exit(1 if bad else 0)
PY

echo
# head closes the pipe early: tshark's exit status then means nothing
echo "First GRE frames on the underlay, as tshark decodes them"
echo "(frame, outer,inner source, outer,inner destination, GRE key, GRE sequence):"
{ tshark -n -r build/demo/wan.out.pcap -Y gre -T fields -E occurrence=a -e frame.number \
	-e ip.src -e ip.dst -e gre.key -e gre.sequence_number 2>/dev/null || true; } | head -3
echo "First VXLAN frames (frame, outer source, outer destination, UDP source port, VNI):"
{ tshark -n -r build/demo/wan.out.pcap -Y vxlan -T fields -E occurrence=f -e frame.number \
	-e ip.src -e ip.dst -e udp.srcport -e vxlan.vni 2>/dev/null || true; } | head -3
echo "First SRv6 frames (frame, outer source, destination, Segments Left, segment list, inner destination):"
{ tshark -n -r build/demo/wan.out.pcap -Y ipv6.routing.type==4 -T fields -E occurrence=a -e frame.number \
	-e ipv6.src -e ipv6.dst -e ipv6.routing.segleft -e ipv6.routing.srh.addr -e ip.dst 2>/dev/null || true; } | head -3
echo "First L2TPv2 frames (frame, outer,inner destination, L2TP tunnel, session, PPP protocol):"
{ tshark -n -r build/demo/wan.out.pcap -Y 'l2tp.version == 2' -T fields -E occurrence=a -e frame.number \
	-e ip.dst -e l2tp.tunnel -e l2tp.session -e ppp.protocol 2>/dev/null || true; } | head -3
echo "First L2TPv3 frames (frame, session, cookie, inner Ethernet source; tshark told the cookie size):"
{ tshark -n -r build/demo/wan.out.pcap -Y 'ip.proto == 115' -o 'l2tp.cookie_size:4 Byte Cookie' \
	-o l2tp.l2_specific:None -d 'l2tp.pw_type==0,eth' -T fields -E occurrence=l -e frame.number \
	-e l2tp.sid -e l2tp.cookie -e eth.src 2>/dev/null || true; } | head -3
# ---- ESP demo ----
echo "First ESP frames, decrypted by tshark with the demo keys"
echo "(frame, SPI, sequence, ICV good, outer,inner source, outer,inner destination):"
{ tshark -n -r build/demo/wan.out.pcap -Y esp -o esp.enable_encryption_decode:TRUE \
	-o esp.enable_authentication_check:TRUE -o "$ESP_UAT" -T fields -E occurrence=a \
	-e frame.number -e esp.spi -e esp.sequence -e esp.icv_good -e ip.src -e ip.dst 2>/dev/null || true; } | head -3
# ---- end ESP demo ----
echo "Frames decapsulated from vxlan.pcap to port l2:"
tshark -n -r build/demo/l2.out.pcap 2>/dev/null
echo
echo "Outputs: build/demo/{lan,l2,wan}.out.pcap, counters: build/demo/summary.json"
