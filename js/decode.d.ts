// Type declarations of mobilenet-wasm/decode (Node).
import type { RgbaFrame } from './index.js';

/** Decodes BMP, PNG or JPEG bytes to RGBA pixels; INPUT_INVALID for anything else. */
export function decodeImage(bytes: Uint8Array, name?: string): RgbaFrame & { data: Uint8Array };
