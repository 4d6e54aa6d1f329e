; Faultline's multiboot option ROM: boots a `--kernel` through SeaBIOS the way `qemu -kernel` does. The host
; (emulator/firmware/kernel-rom.ts) loads the kernel and builds its multiboot information as the direct loader
; does, then hands this ROM the pieces over fw_cfg with QEMU's keys:
;   FW_CFG_KERNEL_ADDR/_SIZE/_DATA  the kernel block: the loaded image (bss zeroed), module list, command
;                                   lines, boot loader name, modules, ELF section table
;   FW_CFG_KERNEL_ENTRY             the kernel's entry point
;   FW_CFG_INITRD_ADDR/_SIZE/_DATA  the multiboot information structure (and what the loader put right
;                                   after it), below 1 MiB, with mmap_addr pointing below it at room for the
;                                   memory map (the room reaches up to the structure)
; The ROM is offered as fw_cfg file genroms/faultline-multiboot.bin with "bootorder" naming it first, so
; SeaBIOS runs its boot entry vector (BEV, PnP header) before any disk. At that point every BIOS service
; exists: the ROM copies the information structure, fills mem_lower (INT 12h), mem_upper (INT 15h E801)
; and the memory map (INT 15h E820, as many entries as fit), enables A20, enters 32-bit protected mode with
; a flat GDT kept in the ROM, copies the kernel block to its load address with REP INSB from the fw_cfg data port
; and jumps to the kernel: EAX = 0x2BADB002, EBX = the information structure, ECX = the entry point,
; EDX = mem_upper's high half : 0x511 (the data port), ESI = EBP = 0, ESP = SeaBIOS's stack below the
; ROM's frame, IF = 0 (Multiboot 0.6.96 §3.2).
; Assembled by `bash scripts/assemble-multiboot-rom.sh` into multiboot-rom.ts (test/firmware checks the two agree).
bits 16
org 0

FW_CFG_SEL      equ 0x510
FW_CFG_DATA     equ 0x511
KEY_KERNEL_ADDR equ 0x07
KEY_KERNEL_SIZE equ 0x08
KEY_INITRD_ADDR equ 0x0a
KEY_INITRD_SIZE equ 0x0b
KEY_KERNEL_ENTRY equ 0x10
KEY_KERNEL_DATA equ 0x11
KEY_INITRD_DATA equ 0x12
MB_MAGIC        equ 0x2badb002
SMAP            equ 0x534d4150
MBI_MEM_LOWER   equ 4
MBI_MEM_UPPER   equ 8
MBI_MMAP_LENGTH equ 44
MBI_MMAP_ADDR   equ 48
E820_ENTRY      equ 24              ; multiboot mmap entry: u32 size (20), then the 20-byte E820 entry

; The frame on SeaBIOS's stack (BP-relative).
F_MBI           equ -4              ; linear address of the information structure
F_MAP_LIMIT     equ -8              ; offset (in the map's segment) where the map's room ends
F_ENTRY         equ -12
F_KERNEL_ADDR   equ -16
F_KERNEL_SIZE   equ -20
F_GDTR          equ -26             ; 6 bytes: limit, linear base
F_JUMP          equ -32             ; 6 bytes: offset, selector of the 32-bit entry
; 48 bytes with the saved BP, as QEMU's multiboot.bin uses: the kernel starts with ESP where it does under
; qemu -kernel (0x6f08 on SeaBIOS's stack), which kernels that push before loading ESP depend on.
FRAME           equ 46

rom:
    db 0x55, 0xaa
    db ROM_BLOCKS                   ; size in 512-byte blocks
    retf                            ; initialisation vector: nothing to set up at POST
    times 0x18 - ($ - $$) db 0
    dw 0                            ; no PCI data structure
    dw pnp_header

    align 16
pnp_header:
    db '$PnP'
    db 1                            ; structure revision
    db 2                            ; length in 16-byte units
    dw 0                            ; no next header
    db 0
    db PNP_CHECKSUM                 ; the 32 header bytes sum to 0
    dd 0                            ; device identifier
    dw manufacturer
    dw product
    db 0, 0, 0                      ; device type
    db 0                            ; device indicators
    dw 0                            ; no boot connection vector (not a disk)
    dw 0                            ; no disconnect vector
    dw boot_entry                   ; boot entry vector
    dw 0
    dw 0                            ; no static resource information
MANUFACTURER_OFF equ manufacturer - rom
PRODUCT_OFF equ product - rom
BEV_OFF equ boot_entry - rom
PNP_SUM equ '$' + 'P' + 'n' + 'P' + 1 + 2 + (MANUFACTURER_OFF & 0xff) + (MANUFACTURER_OFF >> 8) + (PRODUCT_OFF & 0xff) + (PRODUCT_OFF >> 8) + (BEV_OFF & 0xff) + (BEV_OFF >> 8)
PNP_CHECKSUM equ (0x100 - (PNP_SUM & 0xff)) & 0xff

manufacturer: db 'Faultline', 0
product:      db 'Multiboot kernel', 0

; AX = fw_cfg key -> EAX = the item's first 4 bytes (little-endian); DX = FW_CFG_DATA, CX = 0.
fw_cfg_read32:
    mov dx, FW_CFG_SEL
    out dx, ax
    inc dx
    mov cx, 4
.byte:
    in al, dx
    ror eax, 8
    loop .byte
    ret

; AX = fw_cfg key: select it; DX = FW_CFG_DATA.
fw_cfg_select:
    mov dx, FW_CFG_SEL
    out dx, ax
    inc dx
    ret

boot_entry:
    cli
    cld
    push bp
    mov bp, sp
    sub sp, FRAME

    ; The multiboot information, copied where the host built it (FS:SI).
    mov ax, KEY_INITRD_ADDR
    call fw_cfg_read32
    mov [bp + F_MBI], eax
    mov ax, KEY_INITRD_SIZE
    call fw_cfg_read32
    push eax
    mov ax, KEY_INITRD_DATA
    call fw_cfg_select
    mov eax, [bp + F_MBI]
    shr eax, 4
    mov es, ax
    mov fs, ax
    mov di, [bp + F_MBI]
    and di, 0xf
    mov si, di
    pop ecx
    rep insb

    ; The memory map from INT 15h E820 (ES:DI), up to the information structure.
    mov eax, [fs:si + MBI_MMAP_ADDR]
    mov edi, eax
    and di, 0xf
    shr eax, 4
    mov es, ax
    mov eax, [bp + F_MBI]
    sub eax, [fs:si + MBI_MMAP_ADDR]
    add ax, di
    mov [bp + F_MAP_LIMIT], eax
    xor ebx, ebx
.e820:
    lea ax, [di + E820_ENTRY]
    cmp ax, [bp + F_MAP_LIMIT]
    ja .e820_done                   ; no room for another entry
    mov dword [es:di], 20
    add di, 4
    mov eax, 0xe820
    mov edx, SMAP
    mov ecx, 20
    int 0x15
    jc .e820_refused
    cmp eax, SMAP
    jne .e820_refused
    add di, 20
    test ebx, ebx
    jnz .e820
    jmp .e820_done
.e820_refused:
    sub di, 4
.e820_done:
    movzx eax, di
    mov ecx, [fs:si + MBI_MMAP_ADDR]
    and ecx, 0xf
    sub eax, ecx
    mov [fs:si + MBI_MMAP_LENGTH], eax

    ; mem_lower: conventional memory in KiB (INT 12h).
    int 0x12
    movzx eax, ax
    mov [fs:si + MBI_MEM_LOWER], eax
    ; mem_upper: KiB from 1 MiB to the first hole (INT 15h E801: KiB below 16 MiB + 64 KiB blocks above).
    mov ax, 0xe801
    int 0x15
    jcxz .e801_ax
    mov ax, cx
    mov bx, dx
.e801_ax:
    movzx eax, ax
    movzx ebx, bx
    shl ebx, 6
    add eax, ebx
    mov [fs:si + MBI_MEM_UPPER], eax
    mov edx, eax

    ; The kernel block's place, size and entry point.
    mov ax, KEY_KERNEL_ENTRY
    call fw_cfg_read32
    mov [bp + F_ENTRY], eax
    mov ax, KEY_KERNEL_ADDR
    call fw_cfg_read32
    mov [bp + F_KERNEL_ADDR], eax
    mov ax, KEY_KERNEL_SIZE
    call fw_cfg_read32
    mov [bp + F_KERNEL_SIZE], eax

    ; A20 on (fast A20, port 0x92; never the reset bit).
    in al, 0x92
    or al, 2
    and al, 0xfe
    out 0x92, al

    ; GDTR and the far pointer to the 32-bit code, both linear: the ROM runs wherever SeaBIOS put it.
    xor ebx, ebx
    mov bx, cs
    shl ebx, 4
    mov word [bp + F_GDTR], gdt_end - gdt - 1
    lea eax, [ebx + gdt]
    mov [bp + F_GDTR + 2], eax
    lea eax, [ebx + pm32]
    mov [bp + F_JUMP], eax
    mov word [bp + F_JUMP + 4], 0x08
    o32 lgdt [bp + F_GDTR]
    ; Flat stack and frame pointers for protected mode.
    xor esi, esi
    mov si, ss
    shl esi, 4
    movzx edi, bp
    add edi, esi
    movzx eax, sp
    add esi, eax
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp far dword [bp + F_JUMP]

bits 32
pm32:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov esp, esi
    mov ebx, [edi + F_MBI]
    mov ebp, [edi + F_ENTRY]
    mov ecx, [edi + F_KERNEL_SIZE]
    mov ax, KEY_KERNEL_DATA
    mov dx, FW_CFG_SEL
    out dx, ax
    inc dx
    mov edi, [edi + F_KERNEL_ADDR]
    rep insb
    ; MOVs only from here: EFLAGS stay as INC DX left them (PF; ZF = SF = 0), as under QEMU's ROM.
    mov ecx, ebp
    mov ebp, 0
    mov esi, 0
    mov eax, MB_MAGIC
    jmp ecx

    align 8
gdt:
    dq 0
    dq 0x00cf9a000000ffff           ; 0x08: 32-bit code, base 0, limit 4 GiB
    dq 0x00cf93000000ffff           ; 0x10: 32-bit data, base 0, limit 4 GiB (accessed)
    dq 0x00009e000000ffff           ; 0x18: 16-bit code, base 0, limit 64 KiB
    dq 0x000092000000ffff           ; 0x20: 16-bit data, base 0, limit 64 KiB
gdt_end:

code_end:
ROM_BLOCKS equ (code_end - rom + 1 + 511) / 512
    times ROM_BLOCKS * 512 - 1 - ($ - $$) db 0
    db 0                            ; checksum: set by scripts/assemble-multiboot-rom.sh so the ROM's bytes sum to 0
