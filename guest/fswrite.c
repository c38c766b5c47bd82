/*
 * fswrite.c - uktrace.fs_write=1: main tries to change the share, to show
 * whether the host exported it writable. It overwrites hello.txt and
 * removes victim.txt over 9P, and says per attempt what the server did,
 * so a test reads the outcome from the console as well as from the host.
 */
#define UK_LIBNAME "appfswrite"
#include "9pfs.h"
#include "app.h"
#include "print.h"

#define WRITE_FILE  "hello.txt"
#define REMOVE_FILE "victim.txt"
#define EROFS 30
#define EACCES 13
#define EPERM 1

static const char content[] = "overwritten\n";

/* a server's no (read-only export, permissions) or anything else that failed */
static const char *outcome(int rc)
{
	return (rc == -EROFS || rc == -EACCES || rc == -EPERM) ? "refused"
							       : "failed";
}

void app_fs_write(void)
{
	s32 n = uk_9pfs_write_file(WRITE_FILE, content, sizeof(content) - 1);
	int rc;

	if (n < 0)
		uk_pr_info("uktrace.fs_write: write %s: %s (errno %d)\n",
			   WRITE_FILE, outcome((int)n), (int)-n);
	else
		uk_pr_info("uktrace.fs_write: write %s: written %d bytes\n",
			   WRITE_FILE, (int)n);
	rc = uk_9pfs_remove(REMOVE_FILE);
	if (rc)
		uk_pr_info("uktrace.fs_write: remove %s: %s (errno %d)\n",
			   REMOVE_FILE, outcome(rc), -rc);
	else
		uk_pr_info("uktrace.fs_write: remove %s: removed\n", REMOVE_FILE);
}
