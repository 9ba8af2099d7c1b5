#ifndef SKALAR_BUILD_INFO_H
#define SKALAR_BUILD_INFO_H

/* The version and revision compiled in (Docker build args VERSION and REVISION). */
const char *skalar_build_version(void);
const char *skalar_build_revision(void);

#endif
