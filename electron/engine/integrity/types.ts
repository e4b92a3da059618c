/**
 * Inputs of offline CloudTrail log-file integrity validation (see verify.ts): what a case holds (evidence-file
 * manifest rows, digest / key / head-object documents) plus key lists given at verification time. The result
 * types are shared with the app (shared/integrity.ts).
 */
export type * from '../../../shared/integrity';

/** One evidence-file row, as the manifest holds it. */
export interface FileInput {
  id: number;
  path: string;
  sha256: string;
  /** SHA-256 of the decompressed bytes (gzip files). */
  sha256Decompressed: string | null;
  compression: string | null;
  format: string;
  status: 'complete' | 'failed' | string;
  error: string | null;
  /** Bytes after the first gzip member (0 none; null not known: not gzip, or ingested before this was recorded). */
  gzipTrailingBytes: number | null;
  sha256FirstMember: string | null;
}

/** A document stored at ingest (documents table), with the file it came from. */
export interface DocumentInput {
  fileId: number;
  kind: 'cloudtrail-digest' | 'cloudtrail-public-keys' | 's3-head-object';
  raw: string;
}

/** A `list-public-keys` output given at verification time (`--public-keys <region>=<file>`). */
export interface KeyListInput {
  /** Where it was read from (a path, shown in findings). */
  source: string;
  region: string;
  /** SHA-256 of the file's bytes, recorded with the verification. */
  sha256: string;
  raw: string;
}

export interface IntegrityInput {
  files: FileInput[];
  documents: DocumentInput[];
  keyLists: KeyListInput[];
}

