; The 32-bit protected-mode BIOS interfaces of Faultline's direct boot (--firmware none), at the addresses
; SeaBIOS 1.16 has them under QEMU 7.2, so a kernel that finds them finds them where it would under
; `qemu -kernel`: the APM 1.2 interface (apm32.inc) at f000:d198, the PCI BIOS 2.10 interface at f000:d1ca and
; the BIOS32 Service Directory's entry point at f000:d26c (pcibios32.inc; the directory's header, "_32_" at
; 0xf6040, is built by pci-bios.ts). Each entry is a jump to its code after them, as SeaBIOS's are stubs.
; All of it is position-independent: the APM interface runs with CS based at 0xf0000, the BIOS32 and PCI BIOS
; ones through a flat CS at whatever linear address maps 0xfd1ca (Linux calls them at PAGE_OFFSET + physical).
; Assembled by `bash scripts/assemble-pm-bios.sh` into pm-bios.ts (test/firmware checks the two agree).
bits 32
org 0xd198

apm32_entry:                            ; f000:d198
    jmp near apm32
    times 0xd1ca - 0xd198 - ($ - $$) db 0xcc
pcibios32_entry:                        ; f000:d1ca
    jmp near pcibios32
    times 0xd26c - 0xd198 - ($ - $$) db 0xcc
bios32_entry:                           ; f000:d26c
    jmp near bios32

%include "apm32.inc"
%include "pcibios32.inc"
