; Faultline's kvmvapic ROM. QEMU's pc machine gives every guest the option ROM genroms/kvmvapic.bin (its
; pc-bios/optionrom/kvmvapic.S, "local APIC acceleration for Windows XP"), under TCG too, and SeaBIOS
; runs it at POST. Its presence is guest-visible beyond Windows:
;   - it takes 9216 bytes of the option ROM area (the UMBs and later ROMs start after it);
;   - it has no PnP header, so SeaBIOS registers its initialisation vector as a boot connection vector
;     with the hard-disk priority: with QEMU's default boot order 'cad' and no hard disk, SeaBIOS then tries
;     "Booting from Hard Disk..." (and fails) before the floppy and the CD, as QEMU's screen shows;
;   - SeaBIOS keeps a record for the file, which moves its later allocations (option ROMs' PMM blocks).
; This ROM has that shape: 18 blocks, an initialisation vector at offset 3 that clears the 8 KiB per-CPU
; TPR area inside the ROM and reports the state structure's offset with a 16-bit OUT to port 0x7E (QEMU's
; kvmvapic device), then returns, as QEMU's does. What it does not have is QEMU's TPR-patching code, which
; QEMU only installs for 32-bit Windows guests (it recognises their KPCR) that access the TPR through MMIO:
; Faultline does not patch guest code, so port 0x7E is an unassigned port here (reads all ones, writes
; ignored), which is what QEMU's device gives every other guest.
; Assembled by `bash scripts/assemble-option-roms.sh` into kvmvapic-rom.ts (test/firmware checks the two agree).
bits 16
org 0

VAPIC_SIZE equ 2 * 4096
ROM_BLOCKS equ 18

rom:
    db 0x55, 0xaa
    db ROM_BLOCKS                   ; 9216 bytes, as QEMU's kvmvapic.bin
init:                               ; offset 3: SeaBIOS calls it at POST and again as the BCV
    push es
    push cs
    pop es
    xor ax, ax
    mov cx, VAPIC_SIZE / 2
    mov di, vapic
    cld
    rep stosw                       ; clear the TPR area (stale data from loading the ROM)
    pop es
    mov ax, vapic_base
    out 0x7e, ax                    ; "the ROM is initialised; its state structure is at this offset"
    retf

    align 16
vapic_base:
    db 'kvm aPiC'                   ; the state structure's signature, as QEMU's
    dd vapic_base, 0, 0             ; its own offset; no code to relocate
    dd vapic, VAPIC_SIZE            ; the TPR area and its size
    dd 0                            ; vcpu_shift
    dd 0                            ; real_tpr

    times 512 - ($ - $$) db 0
vapic:                              ; per-CPU records: TPR, highest ISR, 0, highest IRR
    times VAPIC_SIZE db 0
    times ROM_BLOCKS * 512 - ($ - $$) db 0   ; the last byte is the checksum
