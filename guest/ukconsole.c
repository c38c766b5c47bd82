/*
 * ukconsole.c - lib/ukconsole's registration line (0.18+). The serial
 * port registers from the early-init table, after the VGA console
 * (con0, whose own line only the screen shows): the serial's first line
 * is COM1's, as uk_console_register() prints it.
 */
#define UK_LIBNAME "libukconsole"
#include "console.h"
#include "print.h"

#define COM1_ID 1       /* con0 is the VGA console */

int uk_console_register_com1(void)
{
	uk_pr_info("Registered con%u: %s, flags: %c%c\n", COM1_ID, "COM1",
		   'I', 'O');
	return 0;
}
