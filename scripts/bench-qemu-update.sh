#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-qemu-update.sh - the pause of a real QEMU guest's live update,
# split into its parts, for each guest RAM size and kind.
#
#   scripts/bench-qemu-update.sh [CONFIG...]
#
# CONFIG is KIND:SIZE, KIND memfd (copied by luo) or memfile (a luo memory
# file, handed over in place); default memfd:256M memfile:256M memfd:1G
# memfile:1G.  The Debian 12 host VM of the `debian` layer (systemd,
# stock 6.12, 4 GiB, a 1088 MiB handover range) installs luo's .debs and
# takes one guest (luo-guest.elf under Debian's QEMU) per configuration
# through its own live update, one systemctl kexec after another
# (tests/debian/bench-stage.sh); luo-qemu measures each pause.  One run;
# QEMU under TCG in a VM under TCG, so the absolute times are slow and
# noisy: compare the columns of one run.  Takes ~2 min per configuration.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

configs=("$@")
[ ${#configs[@]} -gt 0 ] ||
	configs=(memfd:256M memfile:256M memfd:1G memfile:1G)
for c in "${configs[@]}"; do
	case "$c" in
	memfd:[0-9]*[MG] | memfile:[0-9]*[MG]) ;;
	*) die "bad configuration '$c' (KIND:SIZE, KIND memfd or memfile)" ;;
	esac
done
"$LUO_TOP/scripts/deps.sh" base deb > /dev/null
"$LUO_TOP/scripts/rootfs.sh" > /dev/null
"$LUO_TOP/scripts/deb.sh" > /dev/null

payload=$(debian_payload "$LUO_TOP/tests/debian/bench-stage.sh") || exit 1
trap 'rm -rf "$payload"' EXIT
base=0x40000000
size=1088M
printf 'BASE=%s\nSIZE=%s\nBENCH="%s"\n' "$base" \
	"$(numfmt --from=iec "$size")" "${configs[*]}" > "$payload/params"
out=$LUO_TOP/build/results/bench-qemu-update
mkdir -p "$out"
echo "bench-qemu-update: ${configs[*]}: $((${#configs[@]} + 1)) boots"
LUO_HANDOVER_BASE=$base LUO_HANDOVER_SIZE=$size \
	"$LUO_TOP/qemu/run-debian" --payload "$payload" --mem 4G \
	--stages $((${#configs[@]} + 1)) --timeout 7200 --quiet \
	--out "$out/guest.tap" --console "$out/console.log" \
	--kmsg "$out/kmsg.log" || rc=$?
grep -E '^(not )?ok' "$out/guest.tap" | grep -v '^ok' || true
echo
ms() { awk -v u="$1" 'BEGIN { printf "%.1f", u / 1000 }'; }
{
	printf '| guest RAM | pause (s) | QEMU save | preserve+exit | luo freeze | kexec+boot (s) | luo restore | retrieve | QEMU start+load |\n'
	printf '|---|---|---|---|---|---|---|---|---|\n'
} | tee "$out/table.md"
sed -n 's/^pause //p' "$out/guest.tap" | tr -d '\r' |
	while read -r j; do
		g() { jq -r ".$1" <<< "$j"; }
		printf '| %s %s | %.1f | %s ms | %s ms | %s ms | %.1f | %s ms | %s ms | %s ms |\n' \
			"$(g memory)" "$(g kind)" \
			"$(awk -v u="$(g pause_us)" 'BEGIN { print u / 1e6 }')" \
			"$(ms "$(g save_us)")" "$(ms "$(g preserve_us)")" \
			"$(ms "$(g freeze_us)")" \
			"$(awk -v u="$(g kexec_boot_us)" 'BEGIN { print u / 1e6 }')" \
			"$(ms "$(g restore_us)")" "$(ms "$(g retrieve_us)")" \
			"$(ms "$(g load_us)")"
	done | tee -a "$out/table.md"
exit "${rc:-0}"
