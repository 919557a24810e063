#!/usr/bin/env bash
# Installs what tunfwd needs to build and test: DPDK 22.11 from Debian, libpcap,
# tshark and scapy (independent decoders used by the tests). Idempotent: it does
# nothing when everything is present, so every Makefile target may call it.
set -euo pipefail

pkgs=(libdpdk-dev dpdk dpdk-dev libpcap-dev pkg-config tshark python3-scapy
	python3-cryptography iproute2 ethtool iputils-ping gcc make)

. "$(dirname "$0")/lib.sh"
need_pkgs deps "${pkgs[@]}" || exit 1
[ ${#missing[@]} -eq 0 ] && exit 0
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer once, non-interactively.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
