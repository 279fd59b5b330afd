/* stage.c - see stage.h */
#include "stage.h"

#include "afile.h"
#include "error.h"

void stage_start(const struct opts_program *prog, int argc, char **argv,
		 char ***args, int *nargs, const int *quiet)
{
	error_set_prog(argv[0]);
	opts_parse_or_exit(prog, argc, argv, args, nargs);
	if (quiet)
		error_set_quiet(*quiet);
	afile_install_signal_cleanup();
	afile_track_outputs();
}
