/**
 * A digest's own signature lives only in its S3 object metadata (`x-amz-meta-signature`, hex, and
 * `x-amz-meta-signature-algorithm`); for every digest but the newest, the next digest repeats it as
 * `previousDigestSignature`. For the newest one the investigator captures it with
 * `aws s3api head-object --bucket <b> --key <digest key> > <digest file name>.head-object.json`, saved beside the
 * digest: the output does not name the object, so the file name is what ties it to its digest. A wrong tie is
 * harmless — the signature then fails to verify and says so.
 */
import { obj, str } from '../util/json';
import { basename, dirname } from './digest';
import { parseEventTime } from '../util/time';

export const HEAD_OBJECT_SUFFIX = '.head-object.json';

export interface HeadObject {
  fileId: number;
  path: string;
  signature: string;
  algorithm: string | null;
  /** Backfill digests carry the time they were generated (aws-cli picks the key window from it). */
  backfillGeneratedMs: number | null;
}

export function parseHeadObject(raw: string, fileId: number, path: string): HeadObject | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  const meta = obj(obj(value)?.Metadata);
  const signature = str(meta?.signature);
  if (!meta || !signature) return null;
  const generated = str(meta['backfill-generation-timestamp']);
  const ms = generated ? parseEventTime(generated) : NaN;
  return { fileId, path, signature: signature.trim(), algorithm: str(meta['signature-algorithm']) ?? null, backfillGeneratedMs: Number.isNaN(ms) ? null : ms };
}

/**
 * The digest file a head-object output belongs to: `<name>.head-object.json` → the digest file `<name>` in the same
 * folder, or else the only digest file of that name anywhere in the case. Null when none (or several) fit.
 */
export function headObjectTarget<T extends { path: string }>(headPath: string, digests: T[]): T | null {
  const name = basename(headPath);
  if (!name.endsWith(HEAD_OBJECT_SUFFIX)) return null;
  const target = name.slice(0, -HEAD_OBJECT_SUFFIX.length);
  const sameName = digests.filter((d) => basename(d.path) === target);
  const sameDir = sameName.filter((d) => dirname(d.path) === dirname(headPath));
  if (sameDir.length === 1) return sameDir[0]!;
  return sameName.length === 1 ? sameName[0]! : null;
}
