/** Reading an EKS audit record back from the evidence file it was ingested from, as the generator writes them. */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/**
 * The record at `index` of an audit evidence file, as the file holds it: a line of JSON Lines, the event after the
 * time of a CloudWatch Logs export line (`<ISO time> <event JSON>`), or the `message` of an `aws logs
 * filter-log-events` page's event.
 */
export function auditRecordInFile(path: string, index: number): string {
  const bytes = readFileSync(path);
  const text = (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
  if (/filter-log-events/.test(path)) return (JSON.parse(text) as { events: { message: string }[] }).events[index]!.message;
  const line = text.split('\n')[index]!;
  return /cloudwatch-export/.test(path) ? line.slice(line.indexOf(' ') + 1) : line;
}
