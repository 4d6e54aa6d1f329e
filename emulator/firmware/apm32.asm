; APM 1.2 32-bit protected-mode interface of Faultline's direct boot (--firmware none), the entry point the
; multiboot2 APM tag (10) describes, placed at f000:d198 as SeaBIOS's is under QEMU. An OS calls it with
; CALL FAR through a 32-bit code descriptor based at 0xf0000, AH = 0x53, AL = function. On return CF = 0 for
; success, or CF = 1 with AH = the APM error code. Its functions do what SeaBIOS's (src/apm.c) do on QEMU:
; CPU idle halts until the next interrupt, "set power state off" for all devices writes SLP_EN | SLP_TYP(S5)
; to PIIX4's PM1a_CNT (0x604), the battery status is "on AC, no battery", there are no PM events, connecting
; the 32-bit interface again reports its segments (SeaBIOS does not refuse a second connect), and an undefined
; function returns CF = 1 with AX unchanged. Only the 32-bit interface exists: connecting the real-mode or
; 16-bit interface fails.
; Assembled by `bash scripts/assemble-apm.sh` into apm32.ts (test/firmware checks the two agree).
bits 32
org 0xd198

PM1A_CNT   equ 0x604
SLP_EN_S5  equ 0x2000                   ; SLP_EN, SLP_TYP = 0 (PIIX4's S5)
E_NO_16BIT     equ 0x06                 ; 16-bit protected mode interface not supported
E_NO_EVENTS    equ 0x80
E_NOT_PRESENT  equ 0x86                 ; (no real-mode interface)

apm32_entry:
    cmp ah, 0x53
    jne .unsupported
    cmp al, 0x00
    je .installation_check
    cmp al, 0x01
    je .connect_real
    cmp al, 0x02
    je .connect_16
    cmp al, 0x03
    je .connect_32
    cmp al, 0x04
    je .ok                              ; interface disconnect
    cmp al, 0x05
    je .idle
    cmp al, 0x06
    je .ok                              ; CPU busy
    cmp al, 0x07
    je .set_power_state
    cmp al, 0x08
    je .ok                              ; enable/disable power management
    cmp al, 0x09
    je .ok                              ; restore power-on defaults
    cmp al, 0x0a
    je .power_status
    cmp al, 0x0b
    je .no_events
    cmp al, 0x0d
    je .ok                              ; enable/disable device power management
    cmp al, 0x0e
    je .driver_version
    cmp al, 0x0f
    je .ok                              ; engage/disengage power management
    cmp al, 0x10
    je .capabilities
.unsupported:
    stc
    retf
.installation_check:                    ; version 1.2, "PM", 32-bit protected mode interface supported
    mov ax, 0x0102
    mov bx, 0x504d
    mov cx, 0x0002
    jmp .ok
.connect_real:
    mov ah, E_NOT_PRESENT
    stc
    retf
.connect_16:
    mov ah, E_NO_16BIT
    stc
    retf
.connect_32:                            ; the segments and entry point, as for the first connect
    mov ax, 0xf000                      ; 32-bit code segment
    mov ebx, apm32_entry
    mov cx, 0xf000                      ; 16-bit code segment
    mov dx, 0xf000                      ; data segment
    mov esi, 0xfff0fff0                 ; 16-bit and 32-bit code segment lengths
    mov di, 0xfff0                      ; data segment length
    jmp .ok
.idle:
    sti
    hlt
    jmp .ok
.set_power_state:
    cmp bx, 0x0001                      ; all devices ...
    jne .ok
    cmp cx, 0x0003                      ; ... off
    jne .ok
    mov dx, PM1A_CNT
    mov ax, SLP_EN_S5
    out dx, ax
.off:
    cli
    hlt
    jmp .off
.power_status:                          ; AC on-line, battery status unknown, no system battery
    mov bx, 0x01ff
    mov cx, 0x80ff
    mov dx, 0xffff
    xor esi, esi
    jmp .ok
.no_events:
    mov ah, E_NO_EVENTS
    stc
    retf
.driver_version:
    mov ax, 0x0102
    jmp .ok
.capabilities:                          ; no batteries, no resume timer or ring indicator capabilities
    xor bl, bl
    xor cx, cx
.ok:
    clc
    retf
