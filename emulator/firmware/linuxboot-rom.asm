; Faultline's Linux boot option ROM: boots a bzImage through SeaBIOS the way `qemu -kernel` does with QEMU's
; linuxboot_dma.bin (pc-bios/optionrom/linuxboot_dma.c), which this reimplements. The host
; (emulator/firmware/linuxboot.ts) splits the image as QEMU's x86_load_linux does and hands the pieces over
; fw_cfg with QEMU's keys:
;   FW_CFG_SETUP_ADDR/_SIZE/_DATA    the real-mode setup code with its header filled in (0x10000)
;   FW_CFG_KERNEL_ADDR/_SIZE/_DATA   the protected-mode kernel (0x100000)
;   FW_CFG_CMDLINE_ADDR/_SIZE/_DATA  the command line (0x20000)
;   FW_CFG_INITRD_ADDR/_SIZE/_DATA   the initrd, if any
; SeaBIOS runs the ROM's boot entry vector first ("bootorder"). The ROM reads each piece to its address with
; fw_cfg DMA, moves the initrd under the top of RAM INT 15h E801 reports when RAM rather than initrd_addr_max
; limited its placement (patching ramdisk_image), and enters the kernel's real-mode setup code as QEMU's ROM
; does: DS = ES = FS = GS = SS = the setup segment, ESP = the command line's offset in it - 16, CS:IP = the
; setup segment + 0x20 : 0, EAX = that CS, EBX = ECX = EDX = ESI = EDI = EBP = 0 (fixtures/golden/
; linux-setup-probe.serial.txt: what QEMU's ROM leaves). The setup code then asks the BIOS for the memory
; map, the video mode and the rest, and enters the kernel itself.
; Assembled by `bash scripts/assemble-option-roms.sh` into linuxboot-rom.ts (test/firmware checks the two agree).
bits 16
org 0

FW_CFG_SEL      equ 0x510
FW_CFG_DMA_HI   equ 0x514
FW_CFG_DMA_LO   equ 0x518
KEY_KERNEL_ADDR equ 0x07
KEY_KERNEL_SIZE equ 0x08
KEY_INITRD_ADDR equ 0x0a
KEY_INITRD_SIZE equ 0x0b
KEY_KERNEL_DATA equ 0x11
KEY_INITRD_DATA equ 0x12
KEY_CMDLINE_ADDR equ 0x13
KEY_CMDLINE_SIZE equ 0x14
KEY_CMDLINE_DATA equ 0x15
KEY_SETUP_ADDR  equ 0x16
KEY_SETUP_SIZE  equ 0x17
KEY_SETUP_DATA  equ 0x18
DMA_SELECT_READ equ 0x0a            ; FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ
HDR_VERSION     equ 0x206
HDR_RAMDISK     equ 0x218
HDR_INITRD_MAX  equ 0x22c

; The frame on SeaBIOS's stack (BP-relative).
F_DESC          equ -16             ; FWCfgDmaAccess: control, length, address (big-endian), 16-byte aligned
F_SETUP         equ -20
F_INITRD        equ -24
F_INITRD_SIZE   equ -28
F_CMDLINE       equ -32
FRAME           equ 32

%define ROM_PRODUCT 'Linux loader'
%include "option-rom.inc"

; AX = fw_cfg key, EDI = physical destination, ECX = length: select the item and read it there by DMA, through
; the descriptor at [BP + F_DESC]. Nothing for a zero length. Clobbers EAX, EBX, DX.
fw_cfg_dma_read:
    jecxz .done
    movzx eax, ax
    shl eax, 16
    or al, DMA_SELECT_READ
    bswap eax
    mov [bp + F_DESC], eax
    mov eax, ecx
    bswap eax
    mov [bp + F_DESC + 4], eax
    mov dword [bp + F_DESC + 8], 0
    mov eax, edi
    bswap eax
    mov [bp + F_DESC + 12], eax
    xor ebx, ebx
    mov bx, ss
    shl ebx, 4
    movzx eax, bp
    add ebx, eax
    add ebx, F_DESC                 ; the descriptor's physical address
    mov dx, FW_CFG_DMA_HI
    xor eax, eax
    out dx, eax
    mov eax, ebx
    bswap eax
    mov dx, FW_CFG_DMA_LO
    out dx, eax                     ; writing the low half runs the transfer
.wait:
    mov eax, [bp + F_DESC]          ; control: 0 when done (bit 0: error; QEMU's ROM waits the same way)
    and eax, ~0x01000000            ; (big-endian: the error bit is the last byte's bit 0)
    jnz .wait
.done:
    ret

; EAX = the top of RAM INT 15h E801 reports: 16 MiB + 64 KiB blocks above it, or 1 MiB + KiB above it when
; there is nothing above 16 MiB (linuxboot_dma.c get_e801_addr). Clobbers EBX, ECX, EDX.
e801_top:
    mov ax, 0xe801
    xor bx, bx
    xor cx, cx
    xor dx, dx
    int 0x15
    test cx, cx
    jnz .cxdx
    test dx, dx
    jz .axbx
.cxdx:
    mov ax, cx
    mov bx, dx
.axbx:
    test bx, bx
    jz .below16
    movzx eax, bx
    shl eax, 16
    add eax, 16 << 20
    ret
.below16:
    movzx eax, ax
    shl eax, 10
    add eax, 1 << 20
    ret

boot_entry:
    cli
    cld
    push bp
    mov bp, sp
    and bp, 0xfff0                  ; the descriptor below is 16-byte aligned
    mov sp, bp
    sub sp, FRAME

    mov ax, KEY_SETUP_ADDR
    call fw_cfg_read32
    mov [bp + F_SETUP], eax
    mov ax, KEY_SETUP_SIZE
    call fw_cfg_read32
    mov ecx, eax
    mov edi, [bp + F_SETUP]
    mov ax, KEY_SETUP_DATA
    call fw_cfg_dma_read

    ; The setup code is below 1 MiB: address its header through ES.
    mov eax, [bp + F_SETUP]
    shr eax, 4
    mov es, ax
    cmp word [es:HDR_VERSION], 0x203
    jae .has_max
    mov dword [es:HDR_INITRD_MAX], 0x37ffffff   ; before protocol 2.03 the limit is fixed
.has_max:
    mov ax, KEY_INITRD_ADDR
    call fw_cfg_read32
    mov [bp + F_INITRD], eax
    mov ax, KEY_INITRD_SIZE
    call fw_cfg_read32
    mov [bp + F_INITRD_SIZE], eax
    ; Initrd at the end of memory (its end is not in initrd_addr_max's page): put it under E801's top instead.
    mov ebx, [bp + F_INITRD]
    add ebx, eax
    and ebx, -4096
    jz .load_initrd
    mov ecx, [es:HDR_INITRD_MAX]
    and ecx, -4096
    jz .load_initrd
    cmp ebx, ecx
    je .load_initrd
    push es
    call e801_top
    pop es
    sub eax, [bp + F_INITRD_SIZE]
    and eax, -4096
    mov [bp + F_INITRD], eax
    mov [es:HDR_RAMDISK], eax
.load_initrd:
    mov edi, [bp + F_INITRD]
    mov ecx, [bp + F_INITRD_SIZE]
    mov ax, KEY_INITRD_DATA
    call fw_cfg_dma_read

    mov ax, KEY_KERNEL_ADDR
    call fw_cfg_read32
    mov edi, eax
    mov ax, KEY_KERNEL_SIZE
    call fw_cfg_read32
    mov ecx, eax
    mov ax, KEY_KERNEL_DATA
    call fw_cfg_dma_read

    mov ax, KEY_CMDLINE_ADDR
    call fw_cfg_read32
    mov [bp + F_CMDLINE], eax
    mov edi, eax
    mov ax, KEY_CMDLINE_SIZE
    call fw_cfg_read32
    mov ecx, eax
    mov ax, KEY_CMDLINE_DATA
    call fw_cfg_dma_read

    ; Enter the setup code: segments = setup >> 4, ESP = cmdline - setup - 16, CS:IP = segment + 0x20 : 0.
    mov eax, [bp + F_SETUP]
    mov ebx, [bp + F_CMDLINE]
    sub ebx, eax
    sub ebx, 16
    shr eax, 4
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov esp, ebx
    add ax, 0x20
    push ax
    push word 0
    xor ebx, ebx
    xor ecx, ecx
    xor edx, edx
    xor esi, esi
    xor edi, edi
    xor ebp, ebp                    ; EFLAGS as QEMU's ROM leaves them: ZF, PF (and IF = 0)
    retf

code_end:
ROM_BLOCKS equ (code_end - rom + 1 + 511) / 512
    times ROM_BLOCKS * 512 - 1 - ($ - $$) db 0
    db 0                            ; checksum: set by scripts/assemble-option-roms.sh so the ROM's bytes sum to 0
