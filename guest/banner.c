/*
 * banner.c - the banner, byte for byte as Unikraft prints it: the old
 * "Welcome to" art (0.2-0.4), "Powered by" (0.5+ default) and the
 * MINIMAL one-liner that 0.17+ catalog images use. The codename
 * "Testguest" and "~uktrace" mark this as the test guest.
 */
#define UK_LIBNAME "libukboot"
#include "banner.h"
#include "param.h"
#include "print.h"
#include "fmt.h"

void print_banner(void)
{
	char name[64];  /* "<codename> <fullversion>", right-aligned below */

	snprintf(name, sizeof(name), UK_CODENAME " %s", era_version());
	switch (knobs.era) {
	case ERA_0_4:
		uk_printf("Welcome to  _ __             _____\n");
		uk_printf(" __ _____  (_) /__ _______ _/ _/ /_\n");
		uk_printf("/ // / _ \\/ /  '_// __/ _ `/ _/ __/\n");
		uk_printf("\\_,_/_//_/_/_/\\_\\/_/  \\_,_/_/ \\__/\n");
		uk_printf("%35s\n", name);
		break;
	case ERA_0_5:
	case ERA_0_10:
		uk_printf("Powered by\n");
		uk_printf("o.   .o       _ _               __ _\n");
		uk_printf("Oo   Oo  ___ (_) | __ __  __ _ ' _) :_\n");
		uk_printf("oO   oO ' _ `| | |/ /  _)' _` | |_|  _)\n");
		uk_printf("oOo oOO| | | | |   (| | | (_) |  _) :_\n");
		uk_printf(" OoOoO ._, ._:_:_,\\_._,  .__,_:_, \\___)\n");
		uk_printf("%39s\n", name);
		break;
	default:        /* 0.17+ */
		uk_printf("Powered by Unikraft " UK_CODENAME " (%s)\n",
			  era_version());
		break;
	}
}
