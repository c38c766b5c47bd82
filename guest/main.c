/*
 * main.c - the application. Prints hello.txt from the 9P or VirtioFS root
 * (really read over virtio) or "Hello world!" without a share, then runs the
 * uktrace.fs_write and uktrace.fault knobs that belong to the application,
 * and serves console commands with uktrace.serve.
 */
#define UK_LIBNAME "apphello"
#include "9pfs.h"
#include "virtiofs.h"
#include "alloc.h"
#include "app.h"
#include "param.h"
#include "print.h"

#define HELLO_FILE "hello.txt"
#define BUF_ORDER  2            /* 16 KiB is plenty for the greeting */

/*
 * A real divide error. Both operands are volatile: gcc turns "1 / x"
 * into a branchless sequence that never traps. noinline so that RIP
 * symbolizes to this function.
 */
static __attribute__((noinline)) int app_divide(void)
{
	volatile int num = 42, den = 0;

	return num / den;
}

static int print_hello(s32 (*read_file)(const char *, char *, u32))
{
	char *buf = uk_palloc(BUF_ORDER);
	s32 n;

	if (!buf)
		return 1;
	n = read_file(HELLO_FILE, buf, (PAGE_SIZE << BUF_ORDER) - 1);
	if (n < 0) {
		uk_printf("Could not read %s: %d\n", HELLO_FILE, (int)n);
	} else {
		uk_puts_raw(buf, (size_t)n);
		if (n == 0 || buf[n - 1] != '\n')
			uk_printf("\n");
	}
	uk_pfree(buf, BUF_ORDER);
	return n < 0 ? 1 : 0;
}

int main(int argc, char *argv[])
{
	static const char garbage[] =
		"Garbage: \xff\xfe\xc3\x28 \x01\x02\x1b[31m red? \x1b[0m end\n";
	int rc = 0;

	if (uk_9pfs_mounted())
		rc = print_hello(uk_9pfs_read_file);
	else if (uk_virtiofs_mounted())
		rc = print_hello(uk_virtiofs_read_file);
	else
		uk_printf("Hello world!\n");
	if (argc > 1) {
		uk_printf("Arguments: ");
		for (int i = 1; i < argc; i++)
			uk_printf(" \"%s\"", argv[i]);
		uk_printf("\n");
	}
	if (knobs.fs_write)
		app_fs_write();

	switch (knobs.fault) {
	case FAULT_GARBAGE:
		uk_puts_raw(garbage, sizeof(garbage) - 1);
		break;
	case FAULT_FLOOD:
		app_flood(knobs.flood_kib);
		break;
	case FAULT_CRASH:
		rc = app_divide();
		break;
	default:
		break;
	}
	if (knobs.serve && rc == 0)
		rc = app_serve(knobs.serve_delay_ms, knobs.serve_port);
	return rc;
}
