#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int icl_err_set(struct icl_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return code;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

int icl_err_wrap(struct icl_err *e, const char *fmt, ...)
{
	char prefix[sizeof(e->msg)];
	char old[sizeof(e->msg)];
	va_list ap;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	/* Truncation keeps the head of the message, which names the context. */
	if (snprintf(e->msg, sizeof(e->msg), "%s: %s", prefix, old) >= (int)sizeof(e->msg))
		e->msg[sizeof(e->msg) - 1] = '\0';
	return e->code;
}

void icl_err_clear(struct icl_err *e)
{
	if (e != NULL) {
		e->code = 0;
		e->msg[0] = '\0';
	}
}
