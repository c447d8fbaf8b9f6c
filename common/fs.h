/* fs.h - file system chores shared by the modules.
 *
 * icl_rm_tree() removes a directory and everything below it, without
 * following symbolic links or crossing into other mounts, and best effort:
 * it is for cleaning up what icelab itself made (a topology's service
 * files, a run's temporary report, the sandbox's TMPDIR), where an entry
 * that cannot be removed must not stop the rest from going.
 */
#ifndef ICL_FS_H
#define ICL_FS_H

/* Remove `dir` recursively; NULL does nothing. */
void icl_rm_tree(const char *dir);

#endif
