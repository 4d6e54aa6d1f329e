#!/usr/bin/env bash
# Assembles Faultline's own option ROMs into TypeScript byte arrays, each with its ROM checksum byte set so all its
# bytes sum to 0 mod 256:
#   emulator/firmware/multiboot-rom.asm  -> multiboot-rom.ts (MULTIBOOT_ROM, and MULTIBOOT2_ROM with -DMULTIBOOT2)
#   emulator/firmware/linuxboot-rom.asm  -> linuxboot-rom.ts (LINUXBOOT_ROM)
#   emulator/firmware/kvmvapic-rom.asm   -> kvmvapic-rom.ts (KVMVAPIC_ROM)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FW="$ROOT/emulator/firmware"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
nasm -f bin -I "$FW/" "$FW/multiboot-rom.asm" -o "$TMP/mb1.bin"
nasm -f bin -I "$FW/" -DMULTIBOOT2 "$FW/multiboot-rom.asm" -o "$TMP/mb2.bin"
nasm -f bin -I "$FW/" "$FW/linuxboot-rom.asm" -o "$TMP/linux.bin"
nasm -f bin -I "$FW/" "$FW/kvmvapic-rom.asm" -o "$TMP/kvmvapic.bin"
# out.ts source.asm then (binary, const name, doc) triples
node "$ROOT/scripts/option-rom-ts.js" "$FW/multiboot-rom.ts" multiboot-rom.asm \
  "$TMP/mb1.bin" MULTIBOOT_ROM "Faultline's multiboot option ROM (multiboot-rom.asm), offered to SeaBIOS as genroms/multiboot_dma.bin." \
  "$TMP/mb2.bin" MULTIBOOT2_ROM "The same ROM for multiboot2 kernels (nasm -DMULTIBOOT2): fills the tags that need the BIOS."
node "$ROOT/scripts/option-rom-ts.js" "$FW/linuxboot-rom.ts" linuxboot-rom.asm \
  "$TMP/linux.bin" LINUXBOOT_ROM "Faultline's Linux boot option ROM (linuxboot-rom.asm, QEMU's linuxboot_dma.bin), offered to SeaBIOS as genroms/linuxboot_dma.bin."
node "$ROOT/scripts/option-rom-ts.js" "$FW/kvmvapic-rom.ts" kvmvapic-rom.asm \
  "$TMP/kvmvapic.bin" KVMVAPIC_ROM "Faultline's kvmvapic ROM (kvmvapic-rom.asm: QEMU's kvmvapic.bin without its Windows TPR patching), offered to SeaBIOS as genroms/kvmvapic.bin."
