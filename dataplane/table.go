package dataplane

/*
#include "tf.h"
*/
import "C"

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"tunfwd/conf"
)

// ErrTooMany is returned when a configuration exceeds a dataplane limit.
var ErrTooMany = errors.New("dataplane limit exceeded")

func setMAC(dst *C.struct_rte_ether_addr, m conf.MAC) {
	for i := range m {
		dst.addr_bytes[i] = C.uint8_t(m[i])
	}
}

// be32 returns an IPv4 address as the uint32 whose memory is network order.
func be32(a netip.Addr) C.uint32_t {
	b := a.As4()
	return C.uint32_t(binary.NativeEndian.Uint32(b[:]))
}

// buildTable turns cfg into a new C snapshot (call inside Do). ports are
// the opened ports in cfg order.
// slots[i] is the counter and sequence slot of cfg.Tunnels[i].
func buildTable(cfg *conf.Config, ports []*Port, slots []int, gen uint32) (*C.struct_tf_table, error) {
	byName := map[string]*Port{}
	for _, p := range ports {
		byName[p.Name] = p
	}
	var hostRoutes []conf.Route // a /32 or /128 for every inner next hop
	for _, nh := range cfg.Nexthops {
		if byName[nh.Port].Spec.Side == conf.SideInner {
			hostRoutes = append(hostRoutes, conf.Route{
				Prefix: netip.PrefixFrom(nh.IP, nh.IP.BitLen()), Via: nh.IP})
		}
	}
	routes := append(hostRoutes, cfg.Routes...)
	if len(cfg.Tunnels) > C.TF_MAX_TUNNELS || len(routes) > 0xffff || len(cfg.Nexthops) > 0xffff {
		return nil, fmt.Errorf("%w: at most %d tunnels", ErrTooMany, C.TF_MAX_TUNNELS)
	}
	t := C.tf_table_alloc(C.uint16_t(len(cfg.Tunnels)), C.uint16_t(len(routes)), C.uint16_t(len(cfg.Nexthops)))
	if t == nil {
		return nil, errors.New("tf_table_alloc: out of memory")
	}
	if err := fillTable(t, cfg, byName, routes, slots); err != nil {
		C.tf_table_free(t)
		return nil, err
	}
	if ret := C.tf_table_build(t, C.uint32_t(gen)); ret != 0 {
		C.tf_table_free(t)
		return nil, cerr("tf_table_build", ret)
	}
	return t, nil
}

func fillTable(t *C.struct_tf_table, cfg *conf.Config, byName map[string]*Port, routes []conf.Route, slots []int) error {
	nlocal := 0
	for _, p := range byName {
		if int(p.ID) >= C.TF_MAX_PORTS {
			return fmt.Errorf("%w: port %s has id %d, at most %d ports", ErrTooMany, p.Name, p.ID, C.TF_MAX_PORTS)
		}
		if int(p.ID)+1 > int(t.nb_ports) {
			t.nb_ports = C.uint16_t(p.ID + 1)
		}
		tp := &t.port[p.ID]
		tp.side = C.TF_SIDE_INNER
		if p.Spec.Side == conf.SideUnderlay {
			tp.side = C.TF_SIDE_UNDERLAY
		}
		tp.mtu = C.uint16_t(p.Spec.MTU)
		setMAC(&tp.mac, p.MAC)
		for _, a := range p.Spec.Addresses {
			if a.Addr().Is6() {
				if int(tp.nb_addr6) == C.TF_MAX_ADDRS || int(t.nb_local6) == C.TF_MAX_LOCAL {
					return fmt.Errorf("%w: too many IPv6 addresses on port %s", ErrTooMany, p.Name)
				}
				b := a.Addr().As16()
				for j := range b {
					tp.addr6[tp.nb_addr6][j] = C.uint8_t(b[j])
					t.local6[t.nb_local6][j] = C.uint8_t(b[j])
				}
				tp.nb_addr6++
				t.nb_local6++
				continue
			}
			if int(tp.nb_addr4) == C.TF_MAX_ADDRS || nlocal == C.TF_MAX_LOCAL {
				return fmt.Errorf("%w: too many IPv4 addresses on port %s", ErrTooMany, p.Name)
			}
			tp.addr4[tp.nb_addr4] = be32(a.Addr())
			tp.nb_addr4++
			t.local4[nlocal] = be32(a.Addr())
			nlocal++
		}
	}
	t.nb_local4 = C.uint16_t(nlocal)

	tunnels := unsafeSlice(t.tunnels, len(cfg.Tunnels))
	keys := unsafeSlice(t.keys, len(cfg.Tunnels))
	keys6 := unsafeSlice(t.keys6, len(cfg.Tunnels))
	for i := range cfg.Tunnels {
		tc := &cfg.Tunnels[i]
		_, nh := cfg.NexthopByIP(tc.Nexthop)
		if nh == nil {
			return fmt.Errorf("tunnel %s: no next hop %s", tc.Name, tc.Nexthop)
		}
		out := byName[nh.Port]
		tpl, err := buildTemplate(tc, nh.MAC, out.MAC)
		if err != nil {
			return err
		}
		if len(tpl.hdr) > C.TF_HDR_MAX {
			return fmt.Errorf("tunnel %s: header of %d bytes, at most %d", tc.Name, len(tpl.hdr), C.TF_HDR_MAX)
		}
		tun := &tunnels[i]
		tun.slot = C.uint16_t(slots[i])
		tun.out_port = C.uint16_t(out.ID)
		tun.mtu = C.uint16_t(out.Spec.MTU)
		tun.hdr_len = C.uint8_t(len(tpl.hdr))
		tun.l4_off = C.uint16_t(tpl.l4Off)
		tun.af = 4
		if tc.Local.Is6() {
			tun.af = 6
		} else {
			tun.ip_csum_base = C.uint32_t(ipv4CsumBase(tpl.hdr[ethLen : ethLen+ipv4Len]))
		}
		for j, b := range tpl.hdr {
			tun.hdr[j] = C.uint8_t(b)
		}
		if tc.DSCP.Copy {
			tun.flags |= C.TF_TUN_F_DSCP_COPY
		} else {
			tun.tos = C.uint8_t(tc.DSCP.Value << 2)
		}
		k := &keys[i]
		if tc.Local.Is4() {
			k.dst = be32(tc.Local)
		}
		switch tc.Type {
		case conf.TunnelGRE:
			tun._type = C.TF_TUN_GRE
			if tc.Key != nil {
				tun.flags |= C.TF_TUN_F_KEY
			}
			if tc.Seq {
				tun.flags |= C.TF_TUN_F_SEQ
			}
			if tc.Checksum {
				tun.flags |= C.TF_TUN_F_CSUM
			}
			if tc.SA != "" { // GRE over IPsec: fillESP gives it the SAs
				si, _ := cfg.SA(tc.SA)
				tun.flags |= C.TF_TUN_F_ESP
				tun.sa = C.uint16_t(si)
			}
			k._type = C.TF_TUN_GRE
			if tc.Local.Is4() {
				k.src = be32(tc.Remote)
			}
			if tc.Key != nil {
				k.has_key = 1
				k.id = C.uint32_t(*tc.Key)
			}
		case conf.TunnelSRv6:
			tun._type = C.TF_TUN_SRV6
			k._type = C.TF_TUN_SRV6
		case conf.TunnelVXLAN:
			tun._type = C.TF_TUN_VXLAN
			tun.l2_port = C.TF_NO_PORT // until an [[l2]] binds it
			tun.sport_min = C.uint16_t(tc.SrcPortRange[0])
			tun.sport_span = C.uint16_t(tc.SrcPortRange[1] - tc.SrcPortRange[0] + 1)
			if tc.SrcPortRange[1]-tc.SrcPortRange[0]+1 > 0xffff {
				tun.sport_span = 0xffff
			}
			k._type = C.TF_TUN_VXLAN
			k.port = C.uint16_t(tc.DstPort)
			k.id = C.uint32_t(tc.VNI)
			if tc.UDP6ZeroCsumTx {
				tun.flags |= C.TF_TUN_F_UDP6_ZERO_TX
			}
			if tc.UDP6ZeroCsumRx {
				tun.flags |= C.TF_TUN_F_UDP6_ZERO_RX
			}
			if err := addUDP(t, uint16(tc.DstPort), C.TF_TUN_VXLAN, 0); err != nil {
				return err
			}
		case conf.TunnelL2TPv2, conf.TunnelL2TPv3:
			if err := fillL2TP(t, tun, k, tc); err != nil {
				return err
			}
		}
		if tc.Local.Is6() {
			// the same key, with 128-bit addresses: the source only for GRE
			k6 := &keys6[i]
			k6._type, k6.has_key, k6.port, k6.id = k._type, k.has_key, k.port, k.id
			l, r := tc.Local.As16(), tc.Remote.As16()
			for j := range l {
				k6.dst[j] = C.uint8_t(l[j])
				if tc.Type != conf.TunnelVXLAN {
					k6.src[j] = C.uint8_t(r[j])
				}
			}
		}
	}
	for _, b := range cfg.L2 {
		ti, _ := cfg.Tunnel(b.Tunnel)
		p := byName[b.Port]
		tp := &t.port[p.ID]
		tp.l2 = 1
		if b.VLAN == 0 {
			tp.l2_untagged = C.uint16_t(ti)
		} else {
			tp.l2_vlan[b.VLAN] = C.uint16_t(ti)
		}
		tunnels[ti].l2_port = C.uint16_t(p.ID)
		tunnels[ti].l2_vlan = C.uint16_t(b.VLAN)
	}

	if err := fillSIDs(t, cfg, byName); err != nil {
		return err
	}

	nhs := unsafeSlice(t.nexthops, len(cfg.Nexthops))
	for i, nh := range cfg.Nexthops {
		nhs[i].port = C.uint16_t(byName[nh.Port].ID)
		setMAC(&nhs[i].mac, nh.MAC)
	}
	rts := unsafeSlice(t.routes, len(routes))
	for i, r := range routes {
		rt := &rts[i]
		rt.depth = C.uint8_t(r.Prefix.Bits())
		addr := r.Prefix.Addr().AsSlice()
		for j, b := range addr {
			rt.addr[j] = C.uint8_t(b)
		}
		rt.af = 4
		if r.Prefix.Addr().Is6() {
			rt.af = 6
		}
		if r.SA != "" {
			si, _ := cfg.SA(r.SA)
			rt.kind = C.TF_RT_ESP
			rt.idx = C.uint16_t(si)
		} else if r.Tunnel != "" {
			ti, _ := cfg.Tunnel(r.Tunnel)
			rt.kind = C.TF_RT_TUNNEL
			rt.idx = C.uint16_t(ti)
		} else {
			ni, _ := cfg.NexthopByIP(r.Via)
			rt.kind = C.TF_RT_NEXTHOP
			rt.idx = C.uint16_t(ni)
		}
	}
	return nil
}

// addUDP makes port carry protocol typ; l2tp: the L2TP version bit (1 << version) to add.
func addUDP(t *C.struct_tf_table, port uint16, typ int, l2tp uint8) error {
	for i := 0; i < int(t.nb_udp); i++ {
		if uint16(t.udp[i].port) == port {
			t.udp[i].l2tp |= C.uint8_t(l2tp)
			return nil
		}
	}
	if int(t.nb_udp) == C.TF_MAX_UDP {
		return fmt.Errorf("%w: at most %d tunnel UDP ports", ErrTooMany, C.TF_MAX_UDP)
	}
	t.udp[t.nb_udp] = C.struct_tf_udp_proto{port: C.uint16_t(port), _type: C.uint8_t(typ), l2tp: C.uint8_t(l2tp)}
	t.nb_udp++
	return nil
}

// fillL2TP sets what the worker needs of an L2TP tunnel: flags, the cookie it
// expects, its decap key (remote address set by the caller) and its UDP port.
func fillL2TP(t *C.struct_tf_table, tun *C.struct_tf_tunnel, k *C.struct_tf_decap_key, tc *conf.Tunnel) error {
	if tc.Local.Is4() {
		k.src = be32(tc.Remote)
	}
	if tc.UDP6ZeroCsumTx {
		tun.flags |= C.TF_TUN_F_UDP6_ZERO_TX
	}
	if tc.UDP6ZeroCsumRx {
		tun.flags |= C.TF_TUN_F_UDP6_ZERO_RX
	}
	if tc.Type == conf.TunnelL2TPv2 {
		tun._type = C.TF_TUN_L2TPV2
		k._type = C.TF_TUN_L2TPV2
		k.port = C.uint16_t(tc.DstPort)
		k.id = C.uint32_t(tc.TunnelID<<16 | tc.SessionID)
		if tc.LengthBit {
			tun.flags |= C.TF_TUN_F_L2TP_LEN
		}
		return addUDP(t, uint16(tc.DstPort), C.TF_TUN_L2TPV2, 1<<2)
	}
	tun._type = C.TF_TUN_L2TPV3
	tun.l2_port = C.TF_NO_PORT // until an [[l2]] binds it
	k._type = C.TF_TUN_L2TPV3
	k.id = C.uint32_t(tc.SessionID)
	if len(tc.Cookie) > len(tun.cookie) {
		return fmt.Errorf("tunnel %s: cookie of %d bytes, at most %d", tc.Name, len(tc.Cookie), len(tun.cookie))
	}
	tun.cookie_len = C.uint8_t(len(tc.Cookie))
	for i, b := range tc.Cookie {
		tun.cookie[i] = C.uint8_t(b)
	}
	if tc.L2Sublayer {
		tun.flags |= C.TF_TUN_F_L2TP_SUBLAYER
	}
	if tc.Seq {
		tun.flags |= C.TF_TUN_F_SEQ
	}
	if tc.Encap == conf.EncapIP {
		return nil
	}
	tun.flags |= C.TF_TUN_F_L2TP_UDP
	k.port = C.uint16_t(tc.DstPort)
	return addUDP(t, uint16(tc.DstPort), C.TF_TUN_L2TPV3, 1<<3)
}

var sidBehaviors = map[string]C.uint8_t{
	conf.SIDEnd: C.TF_SID_END, conf.SIDEndX: C.TF_SID_END_X, conf.SIDEndDX4: C.TF_SID_END_DX4,
	conf.SIDEndDX6: C.TF_SID_END_DX6, conf.SIDEndDT4: C.TF_SID_END_DT4, conf.SIDEndDT6: C.TF_SID_END_DT6,
	conf.SIDEndDX2: C.TF_SID_END_DX2,
}

// fillSIDs writes the local SID table and the ICMPv6 error rate limit.
func fillSIDs(t *C.struct_tf_table, cfg *conf.Config, byName map[string]*Port) error {
	t.icmp_rate = C.uint32_t(cfg.Dataplane.ICMPErrorRate)
	t.icmp_burst = C.uint32_t(cfg.Dataplane.ICMPErrorBurst)
	if len(cfg.SIDs) == 0 {
		return nil
	}
	if len(cfg.SIDs) > C.TF_MAX_SIDS {
		return fmt.Errorf("%w: at most %d SIDs", ErrTooMany, C.TF_MAX_SIDS)
	}
	if ret := C.tf_table_alloc_sids(t, C.uint16_t(len(cfg.SIDs))); ret != 0 {
		return cerr("tf_table_alloc_sids", ret)
	}
	sids := unsafeSlice(t.sids, len(cfg.SIDs))
	for i, s := range cfg.SIDs {
		cs := &sids[i]
		b, ok := sidBehaviors[s.Behavior]
		if !ok {
			return fmt.Errorf("sid %s: behavior %q", s.SID, s.Behavior)
		}
		cs.behavior = b
		cs.depth = C.uint8_t(s.SID.Bits())
		a := s.SID.Addr().As16()
		for j := range a {
			cs.addr[j] = C.uint8_t(a[j])
		}
		if s.Nexthop.IsValid() {
			ni, _ := cfg.NexthopByIP(s.Nexthop)
			cs.nexthop = C.uint16_t(ni)
		}
		if s.Port != "" {
			cs.port = C.uint16_t(byName[s.Port].ID)
			cs.vlan = C.uint16_t(s.VLAN)
		}
	}
	return nil
}
