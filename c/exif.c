// exif.c - the EXIF orientation of a JPEG file (see exif.h). A JPEG is a sequence of
// segments FF xx [u16be length incl. itself] ...; EXIF lives in APP1 (FF E1) as "Exif\0\0"
// followed by a TIFF structure: byte order "II" (little-endian) or "MM", the number 42, the
// offset of IFD0, then IFD0: u16 entry count, 12-byte entries (u16 tag, u16 type, u32 count,
// 4-byte value or offset). Offsets are relative to the TIFF header.
#include "exif.h"
#include <string.h>

static unsigned rd16(const uint8_t *p, int le) {
    return le ? (unsigned)p[0] | (unsigned)p[1] << 8 : (unsigned)p[0] << 8 | (unsigned)p[1];
}
static uint32_t rd32(const uint8_t *p, int le) {
    return le ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24
              : (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

// Orientation from a TIFF structure t[0..n), or 1.
static int tiff_orientation(const uint8_t *t, size_t n) {
    if (n < 8) return 1;
    int le;
    if (t[0] == 'I' && t[1] == 'I') le = 1;
    else if (t[0] == 'M' && t[1] == 'M') le = 0;
    else return 1;
    if (rd16(t + 2, le) != 42) return 1;
    uint32_t ifd = rd32(t + 4, le);
    if (ifd > n - 2) return 1;
    unsigned count = rd16(t + ifd, le);
    size_t entries = ((size_t)n - ifd - 2) / 12;   // entries that fit in the segment
    if (count > entries) count = (unsigned)entries;
    for (unsigned i = 0; i < count; i++) {
        const uint8_t *e = t + ifd + 2 + (size_t)i * 12;
        if (rd16(e, le) != 0x0112) continue;
        // type 3 (SHORT), at least one value: the first value is in the value field
        if (rd16(e + 2, le) != 3 || rd32(e + 4, le) < 1) return 1;
        unsigned v = rd16(e + 8, le);
        return v >= 1 && v <= 8 ? (int)v : 1;
    }
    return 1;
}

int exif_orientation(const uint8_t *buf, size_t len) {
    if (!buf || len < 4 || buf[0] != 0xff || buf[1] != 0xd8) return 1;
    size_t p = 2;
    while (p + 4 <= len) {
        if (buf[p] != 0xff) return 1;   // not at a marker: corrupt before the first scan
        uint8_t m = buf[p + 1];
        if (m == 0xff) { p++; continue; }   // fill byte
        if (m == 0x01 || (m >= 0xd0 && m <= 0xd8)) { p += 2; continue; }   // no length
        if (m == 0xd9 || m == 0xda) return 1;   // end of image, start of scan: no EXIF before
        size_t seg = rd16(buf + p + 2, 0);   // includes its own two bytes
        if (seg < 2 || seg > len - p - 2) return 1;
        if (m == 0xe1 && seg >= 2 + 6 && memcmp(buf + p + 4, "Exif\0\0", 6) == 0)
            return tiff_orientation(buf + p + 10, seg - 8);
        p += 2 + seg;
    }
    return 1;
}
