// exif.h - the one EXIF fact the core uses: a JPEG file's orientation (tag 0x0112 of IFD0
// in the APP1 "Exif" segment), which says how the stored pixels must be turned to be
// upright. Phone cameras store photos sideways and rely on it; stb_image ignores it.
// Reads nothing else of the EXIF data, and writes nothing.
#ifndef EXCITE_EXIF_H
#define EXCITE_EXIF_H
#include <stddef.h>
#include <stdint.h>

// The orientation 1..8 of the JPEG file buf[0..len): 1 upright, 2 mirrored left-right,
// 3 turned 180 degrees, 4 mirrored top-bottom, 5 mirrored along the main diagonal
// (transpose), 6 to be turned 90 degrees clockwise, 7 mirrored along the other diagonal,
// 8 to be turned 90 degrees anticlockwise. 1 when the file is not a JPEG, has no EXIF
// segment before the first scan, or the segment or the tag is malformed or out of range.
// Every offset is checked against len: any input is safe.
int exif_orientation(const uint8_t *buf, size_t len);

#endif
