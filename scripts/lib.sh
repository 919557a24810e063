# Shared by the install scripts: source it, then call need_pkgs NAME PKG...
# It sets the array `missing` to the packages not installed, and returns 1
# with a hint when some are missing and we are not root.

need_pkgs() {
	local who=$1 p
	shift
	missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "$who: missing packages: ${missing[*]} (run as root or: sudo apt-get install ${missing[*]})" >&2
		return 1
	fi
	echo "$who: installing ${missing[*]}" >&2
}
