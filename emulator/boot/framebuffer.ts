/**
 * Framebuffer requests of multiboot kernels (multiboot1 header flag 2 with mode_type 0, multiboot2 header tag
 * 5), honoured as GRUB honours them on QEMU's stdvga: a VBE linear-framebuffer mode is set through the Bochs
 * dispi interface and the boot information describes it as a direct-colour (RGB) framebuffer. The machine's
 * display (the VGA device) is passed in as a BootDisplay so the loaders stay device-free.
 *
 * Choices where the kernel leaves them open (0 = no preference): the display's preferred mode, which GRUB's
 * `auto` mode takes from the EDID (QEMU's stdvga: 1280 × 800), 32 bits per pixel. Depths other
 * than 15, 16, 24 and 32 (8-bit indexed, 4-bit) get 32, as GRUB falls back to a direct-colour mode.
 *
 * Public API: BootDisplay, FramebufferInfo, requestFramebuffer.
 */

export interface BootDisplay {
  /** Set a linear-framebuffer graphics mode; returns where the framebuffer is and its line pitch. */
  setGraphicsMode(width: number, height: number, bpp: number): { address: number; pitch: number };
  /** The display's preferred resolution (its EDID's), which GRUB's `auto` mode takes when the kernel names none. */
  readonly preferredMode: { width: number; height: number };
}

export interface FramebufferInfo {
  address: number;
  pitch: number;
  width: number;
  height: number;
  bpp: number;
  /** Direct-colour field positions and sizes (bits), red, green, blue. */
  red: [number, number];
  green: [number, number];
  blue: [number, number];
}

export const DEFAULT_FB_BPP = 32;

export function requestFramebuffer(display: BootDisplay, width: number, height: number, depth: number): FramebufferInfo {
  const w = width > 0 && width <= 4096 ? width - (width % 8) || 8 : display.preferredMode.width;
  const h = height > 0 && height <= 4096 ? height : display.preferredMode.height;
  const bpp = [15, 16, 24, 32].includes(depth) ? depth : DEFAULT_FB_BPP;
  const { address, pitch } = display.setGraphicsMode(w, h, bpp);
  const fields: Record<number, [[number, number], [number, number], [number, number]]> = {
    15: [[10, 5], [5, 5], [0, 5]],
    16: [[11, 5], [5, 6], [0, 5]],
    24: [[16, 8], [8, 8], [0, 8]],
    32: [[16, 8], [8, 8], [0, 8]],
  };
  const [red, green, blue] = fields[bpp];
  return { address, pitch, width: w, height: h, bpp, red, green, blue };
}
