/* SPDX-License-Identifier: BSD-2-Clause */
/* safemapctl: one function per subcommand. */
#ifndef SAFEMAPCTL_CMD_H
#define SAFEMAPCTL_CMD_H

/* Exit statuses every subcommand uses. */
#define CTL_OK 0       /* done, nothing found */
#define CTL_FINDINGS 1 /* done, and there are findings */
#define CTL_ERROR 2    /* usage error, or the work could not be done */

/* argv[0] is the subcommand's name. */
int cmd_check(int argc, char **argv);
int cmd_maps(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_snapshot(int argc, char **argv);
int cmd_top(int argc, char **argv);

#endif /* SAFEMAPCTL_CMD_H */
