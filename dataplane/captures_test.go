package dataplane

import (
	"encoding/binary"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"tunfwd/pktgen"
)

// Real captures (testdata/captures, from tcpdump's tests/): traffic nobody
// on this project built, through gateways configured as the hosts in them.

func capturePath(name string) string { return filepath.Join("testdata", "captures", name) }

func readCapture(t *testing.T, name string) [][]byte {
	t.Helper()
	frames, err := pktgen.ReadPcap(capturePath(name))
	require.NoError(t, err)
	return frames
}

const captureDataplane = `
[dataplane]
workers = [1]
mbufs = 4095
idle_us = 20

{{ports}}
`

// vxlan.pcap: Linux VTEPs 192.168.202.1 and 192.168.203.1, VNI 100, inner
// ARP and ping between 192.168.203.3 and .5. The gateway stands in for
// 192.168.203.1 (its MAC too), its l2 port for the bridge behind it.
func vxlanCaptureRig(t *testing.T) *rig {
	r := newRig(t)
	r.ports = []rigPort{
		{"uplink", "underlay", "36:dc:85:1e:b3:40", `addresses = ["192.168.203.1/24"]`},
		{"l2", "inner", l2MAC, ""},
	}
	r.conf = captureDataplane + `
[[nexthop]]
ip = "192.168.202.1"
mac = "00:16:3e:08:71:cf"
port = "uplink"

[[tunnel]]
name = "vx"
type = "vxlan"
local = "192.168.203.1"
remote = "192.168.202.1"
vni = 100

[[l2]]
port = "l2"
tunnel = "vx"
`
	return r
}

// TestCaptureVXLAN: the 5 frames towards 192.168.203.1 come out of the l2
// port as the inner frames tshark finds in them, byte for byte; the 5 that
// 192.168.203.1 itself sent are addressed to the other VTEP's MAC: not_local.
func TestCaptureVXLAN(t *testing.T) {
	in := readCapture(t, "vxlan.pcap")
	require.Len(t, in, 10)
	var want [][]byte
	for _, fr := range tsharkLayers(t, capturePath("vxlan.pcap"), "ip.dst==192.168.203.1", "eth") {
		want = append(want, fr.layer(t, 1))
	}
	require.Len(t, want, 5)
	res := vxlanCaptureRig(t).run(map[string][][]byte{"uplink": in})
	require.Equal(t, want, res.out["l2"])
	require.Equal(t, map[string]uint64{"not_local": 5}, nonZero(res.ctr.Drops))
	require.EqualValues(t, 5, res.tunnel("vx").DecapPkts)
}

// TestCaptureVXLANEncap: the inner frames 192.168.203.1 sent, fed to the
// l2 port, come out as the capture has them (Linux's VXLAN as the known
// answer), but for what a sender chooses per packet: IPv4 id and so the
// header checksum, and the UDP source port.
func TestCaptureVXLANEncap(t *testing.T) {
	var inner, want [][]byte
	for _, fr := range tsharkLayers(t, capturePath("vxlan.pcap"), "ip.src==192.168.203.1 && vxlan", "eth") {
		inner = append(inner, fr.layer(t, 1))
		want = append(want, fr.raw)
	}
	require.Len(t, inner, 5)
	res := vxlanCaptureRig(t).run(map[string][][]byte{"l2": inner})
	out := res.out["uplink"]
	require.Len(t, out, len(want))
	mask := func(f []byte) []byte {
		f = append([]byte(nil), f...)
		copy(f[18:20], []byte{0, 0}) // IPv4 id
		copy(f[24:26], []byte{0, 0}) // IPv4 checksum
		copy(f[34:36], []byte{0, 0}) // UDP source port
		return f
	}
	for i := range out {
		require.Equal(t, mask(want[i]), mask(out[i]), "frame %d", i)
		require.GreaterOrEqual(t, binary.BigEndian.Uint16(out[i][34:]), uint16(49152))
	}
	rows := tshark(t, res.pcap["uplink"], "ip.checksum.status", "vxlan.vni")
	require.Len(t, rows, len(want))
	for _, row := range rows {
		for _, st := range strings.Split(row[0], ",") { // outer, and inner if IP
			require.Equal(t, "1", st)
		}
		require.Equal(t, "100", row[1])
	}
}

// various_gre.pcap: GRE key 0x28 between 10.172.64.6 and 10.172.64.7 on
// VLAN 1213 of a trunk, among STP, CDP, DTP and Ethernet loopback frames.
// The gateway stands in for 10.172.64.7 (MAC aa:bb:cc:00:02:00).
func greCaptureRig(t *testing.T) *rig {
	r := newRig(t)
	r.ports = []rigPort{
		{"inner", "inner", innerMAC, `addresses = ["10.1.0.1/24"]`},
		{"uplink", "underlay", "aa:bb:cc:00:02:00", `addresses = ["10.172.64.7/24"]`},
	}
	r.conf = captureDataplane + `
[[nexthop]]
ip = "10.172.64.6"
mac = "aa:bb:cc:00:01:00"
port = "uplink"

[[tunnel]]
name = "gre"
type = "gre"
local = "10.172.64.7"
remote = "10.172.64.6"
key = 0x28
`
	return r
}

// untag removes an 802.1Q tag, as a port on that VLAN would deliver the frame.
func untag(f []byte) []byte {
	if len(f) < 18 || binary.BigEndian.Uint16(f[12:]) != 0x8100 {
		return f
	}
	return append(append([]byte(nil), f[:12]...), f[16:]...)
}

// TestCaptureVariousGRE: every one of the 100 frames is counted under a
// reason, nothing is sent. The counts, from tshark over the capture:
//
//	20 to aa:bb:cc:00:02:00 (ours): 5 Ethernet loopback (0x9000) and 15
//	   VLAN-tagged (all the GRE): unsupported, the underlay is untagged;
//	15 to aa:bb:cc:00:01:00 (the peer): not_local;
//	65 to multicast STP, CDP, DTP addresses (not ARP): not_local.
//
// With the tags removed (untagged, as the VLAN's port would deliver them),
// the 15 GRE frames reach the GRE parser: all from 10.172.64.6 with key
// 0x28, so the tunnel is found, and all carry payload types a gateway of
// IP does not: 4 of type 0x0000 (keepalive replies), 10 of 0x8909 (Cisco
// metadata, 4 of them around keepalives) and 1 of 0x2000 (CDP): unknown_payload.
func TestCaptureVariousGRE(t *testing.T) {
	in := readCapture(t, "various_gre.pcap")
	require.Len(t, in, 100)
	t.Run("as_captured", func(t *testing.T) {
		res := greCaptureRig(t).run(map[string][][]byte{"uplink": in})
		require.Equal(t, map[string]uint64{"unsupported": 20, "not_local": 80}, nonZero(res.ctr.Drops))
	})
	t.Run("untagged", func(t *testing.T) {
		var un [][]byte
		for _, f := range in {
			un = append(un, untag(f))
		}
		res := greCaptureRig(t).run(map[string][][]byte{"uplink": un})
		require.Equal(t, map[string]uint64{"unsupported": 5, "not_local": 80, "unknown_payload": 15}, nonZero(res.ctr.Drops))
		require.Zero(t, res.tunnel("gre").DecapPkts)
	})
}

// The malformed captures are bytes of '0' (0x30) with a few fields set.
// The gateway takes 0x30 for everything it can: MAC 30:30:30:30:30:30,
// address 48.48.48.48 (the destination in them).
func malformedCaptureRig(t *testing.T) *rig {
	r := newRig(t)
	r.ports = []rigPort{
		{"inner", "inner", innerMAC, `addresses = ["10.1.0.1/24"]`},
		{"uplink", "underlay", "30:30:30:30:30:30", `addresses = ["48.48.48.48/24"]`},
	}
	r.conf = captureDataplane
	return r
}

// fixIPLength makes an IPv4 frame's total length match the bytes captured
// and its checksum right, so that the hostile bytes after the IP header
// reach the GRE and UDP parsers.
func fixIPLength(f []byte) []byte {
	if len(f) < 34 || binary.BigEndian.Uint16(f[12:]) != 0x0800 || f[14]>>4 != 4 {
		return f
	}
	f = append([]byte(nil), f...)
	binary.BigEndian.PutUint16(f[16:], uint16(len(f)-14))
	return fixIPv4(f)
}

func TestCaptureMalformed(t *testing.T) {
	for _, c := range []struct {
		file          string
		asIs, derived map[string]uint64
	}{
		// frame 1: ethertype 0x3030; frame 2: IPv4 with version 0
		{"gre-heapoverflow-1.pcap",
			map[string]uint64{"unsupported": 1, "bad_ip_header": 1},
			map[string]uint64{"unsupported": 1, "bad_ip_header": 1}},
		// frame 1: ethertype 0x3030; frame 2: total length 0x3030 in 34
		// bytes; with it fixed: GRE flags 0xc030, C and R (RFC 1701 routing)
		{"gre-heapoverflow-2.pcap",
			map[string]uint64{"unsupported": 1, "bad_ip_length": 1},
			map[string]uint64{"unsupported": 1, "bad_gre_header": 1}},
		// total length 0x3030 in 24 bytes; with it fixed: 4 bytes of UDP header
		{"udp-length-heapoverflow.pcap",
			map[string]uint64{"bad_ip_length": 1},
			map[string]uint64{"truncated": 1}},
	} {
		t.Run(c.file, func(t *testing.T) {
			in := readCapture(t, c.file)
			res := malformedCaptureRig(t).run(map[string][][]byte{"uplink": in})
			require.Empty(t, res.out["uplink"])
			require.Empty(t, res.out["inner"])
			require.Equal(t, c.asIs, nonZero(res.ctr.Drops))

			var fixed [][]byte
			for _, f := range in {
				fixed = append(fixed, fixIPLength(f))
			}
			res = malformedCaptureRig(t).run(map[string][][]byte{"uplink": fixed})
			require.Empty(t, res.out["uplink"])
			require.Empty(t, res.out["inner"])
			require.Equal(t, c.derived, nonZero(res.ctr.Drops))
		})
	}
}

// l2tp-avp-overflow.pcap: 20 frames, 16 of them L2TPv2 control messages
// (flags 0xf002: T, L and two reserved bits, version 2; tunnel 560, session
// 2056; Length 514 in 16 bytes) to 127.0.x.1 port 1701, whose IPv4 and UDP
// lengths (12336, 6632) run past the 58 bytes captured; 2 UDP to port 2048
// and 2 frames of 8 bytes. The gateway takes the MAC of 10 of them
// (02:ff:ff:ff:01:00); loopback addresses cannot be a tunnel's, so the
// derived inputs are readdressed to 192.0.2.1 from the session's peer.
func l2tpCaptureRig(t *testing.T, session bool) *rig {
	r := newRig(t)
	r.ports = []rigPort{
		{"inner", "inner", innerMAC, `addresses = ["10.1.0.1/24"]`},
		{"uplink", "underlay", "02:ff:ff:ff:01:00", `addresses = ["192.0.2.1/24"]`},
	}
	r.conf = captureDataplane + `
[[nexthop]]
ip = "192.0.2.2"
mac = "` + uplinkPeer + `"
port = "uplink"
`
	if session {
		r.conf += `
[[tunnel]]
name = "l2"
type = "l2tpv2"
local = "192.0.2.1"
remote = "192.0.2.2"
tunnel_id = 560
session_id = 2056
peer_tunnel_id = 1
peer_session_id = 1

[[route]]
prefix = "10.2.0.0/16"
tunnel = "l2"
`
	}
	return r
}

// readdressL2TP makes a captured IPv4 frame the session peer's: our MAC,
// 192.0.2.2 -> 192.0.2.1, the IPv4 total length what was captured; with
// udpFix the UDP length too and a zero checksum, so that the L2TP header
// reaches the parser; flags, when non-zero, replaces the L2TP flags word.
func readdressL2TP(f []byte, udpFix bool, flags uint16) []byte {
	if len(f) < 34 || binary.BigEndian.Uint16(f[12:]) != 0x0800 {
		return f
	}
	f = append([]byte(nil), f...)
	copy(f, []byte{0x02, 0xff, 0xff, 0xff, 0x01, 0x00})
	copy(f[26:], []byte{192, 0, 2, 2, 192, 0, 2, 1})
	binary.BigEndian.PutUint16(f[16:], uint16(len(f)-14))
	if udpFix && f[23] == 17 && len(f) >= 42 {
		binary.BigEndian.PutUint16(f[38:], uint16(len(f)-34))
		f[40], f[41] = 0, 0
		if flags != 0 && len(f) >= 44 && binary.BigEndian.Uint16(f[36:]) == 1701 {
			binary.BigEndian.PutUint16(f[42:], flags)
		}
	}
	return fixIPv4(f)
}

func TestCaptureL2TPAVPOverflow(t *testing.T) {
	in := readCapture(t, "l2tp-avp-overflow.pcap")
	require.Len(t, in, 20)
	derive := func(udpFix bool, flags uint16) [][]byte {
		var out [][]byte
		for _, f := range in {
			out = append(out, readdressL2TP(f, udpFix, flags))
		}
		return out
	}
	for _, c := range []struct {
		name    string
		session bool
		in      [][]byte
		drops   map[string]uint64
	}{
		// 10 to our MAC, their IPv4 length past the frame; 8 to other MACs; 2 shorter than Ethernet
		{"as_captured", true, in, map[string]uint64{"bad_ip_length": 10, "not_local": 8, "truncated": 2}},
		// UDP lengths past the datagram; port 2048 carries no tunnel
		{"readdressed", true, derive(false, 0), map[string]uint64{"bad_udp": 16, "local_unhandled": 2, "truncated": 2}},
		// the control messages reach the L2TP parser: T bit
		{"udp_fixed", true, derive(true, 0), map[string]uint64{"l2tp_control": 16, "local_unhandled": 2, "truncated": 2}},
		// as data messages of the session (T cleared): Length 514 in 16 bytes
		{"as_data", true, derive(true, 0x7002), map[string]uint64{"bad_l2tp_length": 16, "local_unhandled": 2, "truncated": 2}},
		// without an L2TP tunnel, port 1701 is nobody's
		{"no_session", false, derive(true, 0), map[string]uint64{"local_unhandled": 18, "truncated": 2}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := l2tpCaptureRig(t, c.session).run(map[string][][]byte{"uplink": c.in})
			require.Empty(t, res.out["uplink"])
			require.Empty(t, res.out["inner"])
			require.Equal(t, c.drops, nonZero(res.ctr.Drops))
			require.Zero(t, res.tunnel("l2").DecapPkts)
		})
	}
}
