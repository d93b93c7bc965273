#!/bin/bash
# Boots Debian's own kernel under QEMU with real V4L2 (vivid) and GPIO (gpio-sim) devices and runs
# a command inside it, as root, with the host's root file system shared read-only over 9p (so the
# host's dotnet, ffmpeg and our binaries run unchanged) and the repository shared read-write.
#
#   tests/vm/run-in-vm.sh REPO_DIR COMMAND...        exit code = the command's exit code in the VM
#
# Needs (Debian): qemu-system-x86 busybox-static cpio kmod gcc make linux-headers-<kver>
# (build.ps1 deps installs them). The first run downloads the kernel and its source package with
# apt and builds gpio-sim (Debian's kernel does not ship it) into $APPLIANCE_VM_CACHE (~25 s);
# later runs reuse it (~12 s to boot). TCG emulation: this sandbox's KVM cannot boot a stock kernel.
#
# env: APPLIANCE_VM_CACHE  cache dir (default ~/.cache/appliance-vm)
#      VIVID_PARAMS        vivid module parameters (default: two capture devices, the second with
#                          a metadata capture node beside it, as a UVC webcam has)
#      VM_TIMEOUT          seconds before the VM is killed (default 1800)
set -euo pipefail
REPO=$(realpath "$1"); shift
COMMAND="$*"
CACHE=${APPLIANCE_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/appliance-vm}
VIVID_PARAMS=${VIVID_PARAMS:-n_devs=2 node_types=0x1,0x20001}
mkdir -p "$CACHE"; cd "$CACHE"

KVER=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/{sub("linux-image-","",$2); print $2; exit}')
[ -n "$KVER" ] || { echo "run-in-vm: cannot tell Debian's kernel version (apt-get update?)" >&2; exit 98; }

# 1. Debian's kernel and modules, and gpio-sim built from Debian's kernel source (once).
if [ ! -f "kernel-$KVER/boot/vmlinuz-$KVER" ] || [ ! -f "gpio-sim-$KVER/gpio-sim.ko" ]; then
  echo "run-in-vm: preparing kernel $KVER (first run)" >&2
  rm -rf "kernel-$KVER" "gpio-sim-$KVER" src && mkdir -p src
  (cd src && apt-get download "linux-image-$KVER" linux-source-6.1 >/dev/null)
  dpkg-deb -x src/linux-image-${KVER}_*.deb "kernel-$KVER" && depmod -b "kernel-$KVER" "$KVER"
  dpkg-deb --fsys-tarfile src/linux-source-6.1_*_all.deb | tar -xO ./usr/src/linux-source-6.1.tar.xz \
    | tar -xJ -C src --strip-components=1 linux-source-6.1/drivers/gpio/gpio-sim.c \
        linux-source-6.1/drivers/gpio/gpiolib.h linux-source-6.1/kernel/irq/irq_sim.c
  mkdir -p "gpio-sim-$KVER"
  cp src/drivers/gpio/gpio-sim.c src/drivers/gpio/gpiolib.h src/kernel/irq/irq_sim.c "gpio-sim-$KVER/"
  # irq_sim is built into Debian's kernel only when something selects it; build it as a module too.
  # irq_to_desc is not exported to modules, so use the exported generic_handle_irq instead.
  sed -i 's/handle_simple_irq(irq_to_desc(irqnum));/generic_handle_irq(irqnum);/' "gpio-sim-$KVER/irq_sim.c"
  printf '#include <linux/module.h>\n#include "irq_sim.c"\nMODULE_LICENSE("GPL");\n' > "gpio-sim-$KVER/irq_sim_mod.c"
  echo 'obj-m := irq_sim_mod.o gpio-sim.o' > "gpio-sim-$KVER/Kbuild"
  make -s -C "/usr/src/linux-headers-$KVER" M="$CACHE/gpio-sim-$KVER" modules
  strip --strip-debug "gpio-sim-$KVER"/*.ko
  rm -rf src
fi

# 2. A tiny initramfs: busybox, the modules in dependency order, and an init that mounts the host.
STAGE=$(mktemp -d); trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE"/{bin,mods,proc,sys,dev,host}
cp /bin/busybox "$STAGE/bin/"
for applet in sh mount insmod mkdir echo cat chroot poweroff ifconfig sync; do ln -s busybox "$STAGE/bin/$applet"; done
for m in vivid configfs virtio_pci 9pnet_virtio 9p; do
  modprobe -d "kernel-$KVER" -S "$KVER" --show-depends "$m" | awk '$1=="insmod"{print $2}'
done | awk '!seen[$0]++' | while read -r ko; do cp "$ko" "$STAGE/mods/"; basename "$ko"; done > "$STAGE/mods/order"
cp "gpio-sim-$KVER/irq_sim_mod.ko" "gpio-sim-$KVER/gpio-sim.ko" "$STAGE/mods/"
printf 'irq_sim_mod.ko\ngpio-sim.ko\n' >> "$STAGE/mods/order"
cat > "$STAGE/init" <<INIT
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
ifconfig lo 127.0.0.1 up   # the tests and the test runner talk over loopback
for m in \$(cat /mods/order); do
  case \$m in vivid.ko) insmod /mods/\$m $VIVID_PARAMS ;; *) insmod /mods/\$m ;; esac || echo "insmod \$m FAILED"
done
# cache=loose: the guest keeps what it read of the (read-only) host root in its page cache. Uncached,
# every FFmpeg start reads its ~100 libraries over 9p again: 10-30 s each under TCG, 3-8 s cached.
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot /host
mount -t tmpfs tmpfs /host/tmp; mount -t tmpfs tmpfs /host/root; mount -t tmpfs tmpfs /host/run
mkdir -p /host$REPO
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 repo /host$REPO
mount -t proc proc /host/proc; mount -t sysfs sys /host/sys; mount -t devtmpfs dev /host/dev
mount -t configfs none /host/sys/kernel/config
chroot /host /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/root DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 \
  DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 VSTEST_CONNECTION_TIMEOUT=900 APPLIANCE_VM_TEST=1 APPLIANCE_VM_RESULTS=$REPO/artifacts/vm \
  /bin/sh -c 'cd $REPO && $COMMAND; echo \$? > $REPO/artifacts/vm/exit-code'
sync; poweroff -f
INIT
chmod +x "$STAGE/init"
(cd "$STAGE" && find . | cpio -o -H newc --quiet | gzip -1) > initrd.gz

# 3. Boot. The guest writes its command's exit code into the shared repo.
mkdir -p "$REPO/artifacts/vm"; rm -f "$REPO/artifacts/vm/exit-code" "$REPO/artifacts/vm/measurements.txt"
timeout "${VM_TIMEOUT:-1800}" qemu-system-x86_64 -accel tcg -smp 2 -m 2048 -nic none -nographic -no-reboot \
  -kernel "kernel-$KVER/boot/vmlinuz-$KVER" -initrd initrd.gz -append "console=ttyS0 quiet panic=-1" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  -virtfs local,path="$REPO",mount_tag=repo,security_model=none,multidevs=remap || true
if [ ! -f "$REPO/artifacts/vm/exit-code" ]; then echo "run-in-vm: the VM did not report an exit code (boot failure or timeout)" >&2; exit 99; fi
exit "$(cat "$REPO/artifacts/vm/exit-code")"
