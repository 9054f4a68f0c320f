// Finding line ends at memory speed. The framer spends nearly all of its time here, so the
// search runs on 16-byte SIMD vectors, four at a time, and only the final bytes go one by one.

const LF: u8 = 0x0a;
const CR: u8 = 0x0d;

// The address of the first LF or CR in [p, end), or `end` when there is none.
export function findLineEnd(p: usize, end: usize): usize {
  const lf = i8x16.splat(<i8>LF);
  const cr = i8x16.splat(<i8>CR);
  while (p + 64 <= end) {
    const a = v128.load(p);
    const b = v128.load(p, 16);
    const c = v128.load(p, 32);
    const d = v128.load(p, 48);
    const ma = v128.or(i8x16.eq(a, lf), i8x16.eq(a, cr));
    const mb = v128.or(i8x16.eq(b, lf), i8x16.eq(b, cr));
    const mc = v128.or(i8x16.eq(c, lf), i8x16.eq(c, cr));
    const md = v128.or(i8x16.eq(d, lf), i8x16.eq(d, cr));
    if (v128.any_true(v128.or(v128.or(ma, mb), v128.or(mc, md)))) {
      const bits: u64 =
        (<u64>(<u32>i8x16.bitmask(ma))) |
        ((<u64>(<u32>i8x16.bitmask(mb))) << 16) |
        ((<u64>(<u32>i8x16.bitmask(mc))) << 32) |
        ((<u64>(<u32>i8x16.bitmask(md))) << 48);
      return p + <usize>ctz(bits);
    }
    p += 64;
  }
  while (p + 16 <= end) {
    const v = v128.load(p);
    const m = i8x16.bitmask(v128.or(i8x16.eq(v, lf), i8x16.eq(v, cr)));
    if (m != 0) return p + <usize>ctz(m);
    p += 16;
  }
  while (p < end) {
    const b = load<u8>(p);
    if (b == LF || b == CR) return p;
    p++;
  }
  return end;
}

@inline export function isLF(p: usize): bool {
  return load<u8>(p) == LF;
}
