#define _POSIX_C_SOURCE 200809L /* stat, access */
#include "output_check.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runt-backend.h"

runt_status runt_output_check_file(const char *path)
{
    if (strcmp(path, "-") == 0)
        return RUNT_OK;
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return runt_error_set(RUNT_E_IO, "%s: is a directory, not a file", path);
        if (access(path, W_OK) != 0)
            return runt_error_set(RUNT_E_IO, "%s: cannot write: %s", path, strerror(errno));
        return RUNT_OK;
    }
    if (errno != ENOENT)
        return runt_error_set(RUNT_E_IO, "%s: %s", path, strerror(errno));
    /* A new file: its directory must exist and take files. */
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    if (stat(dir, &st) != 0)
        return runt_error_set(RUNT_E_IO, "%s: directory %s: %s", path, dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return runt_error_set(RUNT_E_IO, "%s: %s is not a directory", path, dir);
    if (access(dir, W_OK) != 0)
        return runt_error_set(RUNT_E_IO, "%s: cannot create files in %s: %s", path, dir,
                              strerror(errno));
    return RUNT_OK;
}

runt_status runt_output_check_dir(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0)
        return runt_error_set(RUNT_E_IO, "%s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return runt_error_set(RUNT_E_IO, "%s: not a directory", dir);
    if (access(dir, W_OK) != 0)
        return runt_error_set(RUNT_E_IO, "%s: cannot create files here: %s", dir, strerror(errno));
    return RUNT_OK;
}
