#!/bin/sh
# Boot the uktrace test guest under QEMU (TCG), console on stdio.
#
#   ./guest/run.sh [--fs DIR] [--] [append args...]
#
# --fs DIR exports DIR to the guest as a legacy virtio-9p device with
# mount tag fs0 (the guest mounts it at / and prints DIR/hello.txt).
# Everything else becomes the kernel command line, e.g.
#   ./guest/run.sh -- uktrace.era=0.17 uktrace.fault=crash -- arg1 arg2
# Environment: QEMU (default qemu-system-x86_64), ACCEL (default tcg).
# Exit status: QEMU's, i.e. (guest code << 1) | 1: 1 ok, 3 failed, 5 crash.
# Quit a hung guest with Ctrl-A x.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
elf="$here/build/uktrace-guest.elf"
fs=""

while [ $# -gt 0 ]; do
	case "$1" in
	--fs) [ $# -ge 2 ] || { echo "run.sh: --fs needs a directory" >&2; exit 2; }
	      fs=$2; shift 2 ;;
	--fs=*) fs=${1#--fs=}; shift ;;
	--) shift; break ;;
	*) break ;;
	esac
done

[ -f "$elf" ] || make -s -C "$here" >&2
append="$*"

if [ -n "$fs" ]; then
	[ -d "$fs" ] || { echo "run.sh: $fs is not a directory" >&2; exit 2; }
	fs=$(printf '%s' "$fs" | sed 's/,/,,/g')   # QEMU option escaping
	exec "${QEMU:-qemu-system-x86_64}" -accel "${ACCEL:-tcg}" -machine pc \
		-m 64 -nographic -no-reboot \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-fsdev "local,id=fs0,path=$fs,security_model=none" \
		-device virtio-9p-pci,fsdev=fs0,mount_tag=fs0,disable-modern=on,disable-legacy=off \
		-kernel "$elf" -append "$append"
fi
exec "${QEMU:-qemu-system-x86_64}" -accel "${ACCEL:-tcg}" -machine pc \
	-m 64 -nographic -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	-kernel "$elf" -append "$append"
