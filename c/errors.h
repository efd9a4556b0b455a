// errors.h - how the core reports a failure: a function returns a status and writes a
// readable message into the caller's buffer (err, errlen); only the CLI prints.
#ifndef EXCITE_ERRORS_H
#define EXCITE_ERRORS_H
#include <stddef.h>

// printf-style message into err[errlen] (truncated to fit; nothing if err is NULL or errlen 0)
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
void set_err(char *err, size_t errlen, const char *fmt, ...);

#endif
