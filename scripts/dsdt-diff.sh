#!/usr/bin/env bash
# Compares Faultline's DSDT with the one QEMU 7.2 builds for the same `pc` board: QEMU runs SeaBIOS with no boot
# device, its monitor saves the ACPI tables from guest RAM (pmemsave), and both DSDTs are decompiled with iasl
# (acpica-tools) and diffed. Needs a build (npm run build). Usage: scripts/dsdt-diff.sh [MEM_MB [SMP [nodefaults]]]
# e.g. scripts/dsdt-diff.sh 256 2; scripts/dsdt-diff.sh 128 1 nodefaults. Prints the diff (empty: identical ASL).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MEM="${1:-256}" SMP="${2:-1}" NODEF="${3:-}"
for tool in qemu-system-x86_64 iasl; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 1; }
done
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
# SeaBIOS puts etc/acpi/tables (FACS first, the DSDT at +0x40) in the top 128 KiB of RAM below 4 GiB.
TOP=$(( (MEM < 3072 ? MEM : 3072) * 1024 * 1024 - 0x20000 ))
ARGS=(-machine accel=tcg -m "$MEM" -smp "$SMP" -display none -serial null -monitor stdio)
[ "$NODEF" = nodefaults ] && ARGS+=(-nodefaults)
(sleep 4; echo "pmemsave $TOP 0x20000 \"$TMP/tables.bin\""; sleep 2; echo quit) | timeout 30 qemu-system-x86_64 "${ARGS[@]}" >/dev/null 2>&1
node -e '
const fs = require("fs");
const [root, tmp, mem, smp, nodef] = process.argv.slice(1);
const t = fs.readFileSync(tmp + "/tables.bin");
if (t.toString("latin1", 0x40, 0x44) !== "DSDT") { console.error("no DSDT at the expected address in QEMU\x27s RAM"); process.exit(1); }
fs.writeFileSync(tmp + "/qemu.dat", t.subarray(0x40, 0x40 + t.readUInt32LE(0x44)));
const { buildDsdt } = require(root + "/out/emulator/firmware/acpi");
const { pcPlatform } = require(root + "/out/emulator/firmware/platform");
const { CPU_MODELS } = require(root + "/out/emulator/cpu/cpuid");
const d = buildDsdt(pcPlatform(Number(mem) << 20, CPU_MODELS.qemu64, Number(smp), { nodefaults: nodef === "nodefaults" }));
let sum = 0; for (const b of d) sum = (sum + b) & 0xff; d[9] = (256 - sum) & 0xff;
fs.writeFileSync(tmp + "/ours.dat", d);
' "$ROOT" "$TMP" "$MEM" "$SMP" "$NODEF"
(cd "$TMP" && iasl -d qemu.dat >/dev/null 2>&1 && iasl -d ours.dat >/dev/null 2>&1)
diff -u "$TMP/qemu.dsl" "$TMP/ours.dsl" | grep -v '^[-+] \* Disassembly of\|^[-+] \*     Checksum' || true
