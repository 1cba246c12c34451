//! RGBA frames → model inputs: center crop to a square, bilinear resize, conversion.
