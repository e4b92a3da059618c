/**
 * How rejected records are answered (no zod here: the renderer imports these at run time). `evidence.list` gives
 * every file's count (`EvidenceFileView.rejected`) and the first RECORD_ERRORS_PER_FILE rejected records of each
 * file; `evidence.recordErrors` gives the rest of one file's, at most RECORD_ERROR_PAGE_MAX a call. (A file of a
 * million rejected records listed in full made a 112 MB answer.)
 */
export const RECORD_ERRORS_PER_FILE = 20;
export const RECORD_ERROR_PAGE_MAX = 500;
