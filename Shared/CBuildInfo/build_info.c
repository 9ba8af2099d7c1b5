#include "build_info.h"

/* Package.swift defines these from the SKALAR_VERSION and SKALAR_REVISION build environment. */
#ifndef SKALAR_VERSION
#define SKALAR_VERSION "dev"
#endif
#ifndef SKALAR_REVISION
#define SKALAR_REVISION "unknown"
#endif

const char *skalar_build_version(void) { return SKALAR_VERSION; }
const char *skalar_build_revision(void) { return SKALAR_REVISION; }
