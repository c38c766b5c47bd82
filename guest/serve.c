/*
 * serve.c - uktrace.serve=MS[:PORT]: main behaves like a server that
 * takes a while to get ready, then takes commands on its console. After
 * MS ms of work (a busy-wait, like uktrace.delay) it logs how long it
 * waited, prints `Listening on port PORT` as a server prints its ready
 * line (unstamped), then reads lines from COM1: `quit [N]` ends main with
 * exit code N (default 0), an empty line is ignored, anything else is
 * echoed as `echo: LINE`. Between lines the CPU halts until the UART
 * interrupt, so a waiting server is idle, as a real one is.
 */
#define UK_LIBNAME "appserve"
#include "app.h"
#include "console.h"
#include "param.h"
#include "print.h"
#include "tscclock.h"

#define LINE_MAX 128

/* `quit`, `quit N`: the exit code, or -1 when the line is no quit command */
static int quit_code(const char *line)
{
	int code = 0;

	if (strncmp(line, "quit", 4) || (line[4] && line[4] != ' '))
		return -1;
	for (line += 4; *line == ' '; line++)
		;
	for (; *line >= '0' && *line <= '9' && code < 1000; line++)
		code = code * 10 + (*line - '0');
	return *line ? -1 : code;
}

static size_t read_line(char *line, size_t size)
{
	size_t len = 0;

	for (;;) {
		char c = serial_getc();

		if (c == '\r' || c == '\n') {
			if (len)
				break;
			continue;       /* CR LF, or an empty line */
		}
		if (len + 1 < size)
			line[len++] = c;
	}
	line[len] = '\0';
	return len;
}

int app_serve(u32 delay_ms, u32 port)
{
	char line[LINE_MAX];
	int code;

	ukplat_delay_ms(delay_ms);
	uk_pr_debug("uktrace.serve: waited %u ms before listening\n", delay_ms);
	serial_rx_enable();
	uk_printf("Listening on port %u\n", port);
	for (;;) {
		read_line(line, sizeof(line));
		code = quit_code(line);
		if (code >= 0)
			break;
		uk_printf("echo: %s\n", line);
	}
	uk_printf("Bye (exit code %d)\n", code);
	return code;
}
