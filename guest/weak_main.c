/*
 * weak_main.c - lib/ukboot's weak default main(), used when no
 * application replaced the symbol. main.c does replace it;
 * uktrace.fault=weakmain makes boot.c call this default instead.
 */
#define UK_LIBNAME "libukboot"
#include "print.h"

int __uk_weak_main(int argc, char *argv[]);

int __uk_weak_main(int argc __unused, char *argv[] __unused)
{
	uk_pr_crit("weak main() called. Symbol was not replaced!\n");
	return -EINVAL;
}

int main(int argc, char *argv[]) __attribute__((weak, alias("__uk_weak_main")));
