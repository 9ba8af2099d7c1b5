#include <zlib.h>

/* deflateInit2 is a macro; Swift cannot call macros, so expose it as a function. */
static inline int skalar_deflate_init_gzip(z_streamp stream, int level) {
    /* 15 window bits + 16 selects the gzip wrapper; memLevel 8 is zlib's default. */
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}
