; Faultline's multiboot option ROM: boots a `--kernel` through SeaBIOS the way `qemu -kernel` does. The host
; (emulator/firmware/kernel-rom.ts) loads the kernel and builds its multiboot information as the direct loader
; does, then hands this ROM the pieces over fw_cfg with QEMU's keys:
;   FW_CFG_KERNEL_ADDR/_SIZE/_DATA  the kernel block: the loaded image (bss zeroed), module list, command
;                                   lines, boot loader name, modules, ELF section table
;   FW_CFG_KERNEL_ENTRY             the kernel's entry point
;   FW_CFG_INITRD_ADDR/_SIZE/_DATA  the multiboot information structure (and what the loader put right
;                                   after it), below 1 MiB, with mmap_addr pointing below it at room for the
;                                   memory map (the room reaches up to the structure)
; The ROM is offered as fw_cfg file genroms/multiboot_dma.bin with "bootorder" naming it first, so
; SeaBIOS runs its boot entry vector (BEV, PnP header) before any disk. At that point every BIOS service
; exists: the ROM copies the information structure, fills mem_lower (INT 12h), mem_upper (INT 15h E801)
; and the memory map (INT 15h E820, as many entries as fit), enables A20, enters 32-bit protected mode with
; a flat GDT kept in the ROM, copies the kernel block to its load address with REP INSB from the fw_cfg data port
; and jumps to the kernel: EAX = 0x2BADB002, EBX = the information structure, ECX = the entry point,
; EDX = mem_upper's high half : 0x511 (the data port), ESI = EBP = 0, ESP = SeaBIOS's stack below the
; ROM's frame, IF = 0 (Multiboot 0.6.96 §3.2).
; Assembled by `bash scripts/assemble-option-roms.sh` into multiboot-rom.ts (test/firmware checks the two agree).
; Assembled twice: as is for multiboot1, with -DMULTIBOOT2 for multiboot2 kernels (QEMU's -kernel has no
; multiboot2; this gives them what the direct load gives): then the information is the multiboot2 tag list,
; and the ROM fills the tags that need the BIOS: basic memory (4), the memory map (6, shrunk to the entries
; E820 returned), the ACPI RSDP (14/15, copied from the standard search of 0xE0000-0xFFFFF) and APM (10,
; from INT 15h AX=5300h/5303h, as GRUB fills it); EAX = 0x36D76289.
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
%ifdef MULTIBOOT2
MB_MAGIC        equ 0x36d76289
%else
MB_MAGIC        equ 0x2badb002
%endif
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
F_TAG           equ -34             ; multiboot2: the tag being filled
F_TMP           equ -38
; 48 bytes with the saved BP, as QEMU's multiboot.bin uses: the kernel starts with ESP where it does under
; qemu -kernel (0x6f08 on SeaBIOS's stack), which kernels that push before loading ESP depend on.
FRAME           equ 46

%define ROM_PRODUCT 'Multiboot kernel'
%include "option-rom.inc"

; AX = fw_cfg key: select it; DX = FW_CFG_DATA.
fw_cfg_select:
    mov dx, FW_CFG_SEL
    out dx, ax
    inc dx
    ret

; EAX = mem_lower: conventional memory in KiB (INT 12h); EDX = mem_upper: KiB from 1 MiB to the first hole
; (INT 15h E801: KiB below 16 MiB + 64 KiB blocks above). Clobbers BX, CX.
memory_sizes:
    mov ax, 0xe801
    int 0x15
    jcxz .ax
    mov ax, cx
    mov bx, dx
.ax:
    movzx edx, ax
    movzx ebx, bx
    shl ebx, 6
    add edx, ebx
    push edx
    int 0x12
    movzx eax, ax
    pop edx
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

%ifdef MULTIBOOT2
    ; Walk the tags (FS:BX), filling what only the BIOS knows.
    lea bx, [si + 8]
.tag:
    mov eax, [fs:bx]
    test eax, eax
    jz .tags_done
    cmp eax, 4
    je .meminfo
    cmp eax, 6
    je .mmap
    cmp eax, 10
    je .apm
    cmp eax, 14
    je .rsdp
    cmp eax, 15
    je .rsdp
.next_tag:
    mov eax, [fs:bx + 4]
    add eax, 7
    and al, 0xf8
    add bx, ax
    jmp .tag

.meminfo:
    push bx
    call memory_sizes               ; EAX = mem_lower, EDX = mem_upper
    pop bx
    mov [fs:bx + 8], eax
    mov [fs:bx + 12], edx
    jmp .next_tag

.mmap:
    ; Entries of 24 bytes from tag + 16 to the tag's end; then shrink the tag to what E820 returned.
    push si
    push bx
    mov ax, fs
    mov es, ax
    lea di, [bx + 16]
    mov ax, [fs:bx + 4]
    add ax, bx
    mov [bp + F_MAP_LIMIT], ax
    xor ebx, ebx
.mb2_e820:
    lea ax, [di + E820_ENTRY]
    cmp ax, [bp + F_MAP_LIMIT]
    ja .mb2_e820_done
    mov eax, 0xe820
    mov edx, SMAP
    mov ecx, 20
    int 0x15
    jc .mb2_e820_done
    cmp eax, SMAP
    jne .mb2_e820_done
    mov dword [es:di + 20], 0       ; reserved
    add di, E820_ENTRY
    test ebx, ebx
    jnz .mb2_e820
.mb2_e820_done:
    pop bx
    pop si
    ; DI = the new end of the tag; move the tags after it down over the unused entries.
    mov cx, [bp + F_MAP_LIMIT]      ; old end (a multiple of 8 past the tag: 16 + n * 24)
    mov ax, di
    sub ax, bx
    mov [fs:bx + 4], ax             ; the tag's new size
    mov ax, cx
    sub ax, di                      ; bytes dropped
    jz .next_tag
    sub [fs:si], ax                 ; total_size
    push si
    push ds
    mov dx, fs
    mov ds, dx
    mov dx, [fs:si]                 ; new total size
    add dx, si
    add dx, ax                      ; old end of the information
    mov si, cx
    sub dx, cx
    mov cx, dx
    rep movsb
    pop ds
    pop si
    jmp .next_tag

.apm:
    ; As GRUB: installation check (version, flags), disconnect, connect the 32-bit interface (segments).
    mov [bp + F_TAG], bx
    push si
    mov ax, 0x5300
    xor bx, bx
    int 0x15
    jc .apm_done
    mov bx, [bp + F_TAG]
    mov [fs:bx + 8], ax             ; version
    mov [fs:bx + 20], cx            ; flags
    mov ax, 0x5304
    xor bx, bx
    int 0x15
    mov ax, 0x5303
    xor ebx, ebx
    int 0x15
    jc .apm_done
    mov [bp + F_TMP], ebx
    mov bx, [bp + F_TAG]
    mov [fs:bx + 10], ax            ; cseg
    mov eax, [bp + F_TMP]
    mov [fs:bx + 12], eax           ; offset
    mov [fs:bx + 16], cx            ; cseg_16
    mov [fs:bx + 18], dx            ; dseg
    mov [fs:bx + 22], si            ; cseg_len
    shr esi, 16
    mov [fs:bx + 24], si            ; cseg_16_len
    mov [fs:bx + 26], di            ; dseg_len
.apm_done:
    pop si
    mov bx, [bp + F_TAG]
    jmp .next_tag

.rsdp:
    ; The standard search: "RSD PTR " on a 16-byte boundary in 0xE0000-0xFFFFF with a valid checksum.
    push si
    push ds
    mov ax, 0xe000
.rsdp_seg:
    mov ds, ax
    xor si, si
.rsdp_scan:
    cmp dword [si], 0x20445352      ; "RSD "
    jne .rsdp_next
    cmp dword [si + 4], 0x20525450  ; "PTR "
    jne .rsdp_next
    push si
    mov cx, 20
    xor dl, dl
.rsdp_sum:
    add dl, [si]
    inc si
    loop .rsdp_sum
    pop si
    test dl, dl
    jz .rsdp_found
.rsdp_next:
    add si, 16
    jnz .rsdp_scan
    mov ax, ds
    add ax, 0x1000
    jnc .rsdp_seg                   ; up to segment 0xF000
    jmp .rsdp_done
.rsdp_found:
    mov cx, [fs:bx + 4]
    sub cx, 8                       ; 20 (tag 14) or 36 (tag 15) bytes
    mov ax, fs
    mov es, ax
    lea di, [bx + 8]
    rep movsb
.rsdp_done:
    pop ds
    pop si
    jmp .next_tag

.tags_done:
    call memory_sizes
%else
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

    call memory_sizes
    mov [fs:si + MBI_MEM_LOWER], eax
    mov [fs:si + MBI_MEM_UPPER], edx

%endif

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
    db 0                            ; checksum: set by scripts/assemble-option-roms.sh so the ROM's bytes sum to 0
