/**
 * The cut of the lake an investigator takes home: the records that match a predicate, and every record their
 * attribution needs, as CloudTrail records that `podtrail ingest` reads. Built on the attribution's own CTEs
 * (rules.ts), so the cut follows exactly the links the query follows:
 * - the issuing calls of every key of each matching event's chain, every copy of each (a cross-account call is
 *   logged in both accounts), and of the key the last call was made with;
 * - for Pod Identity roots, the eks-auth AssumeRoleForPodIdentity calls of the cluster within the node-match window;
 * - the EKS and IAM records that name clusters and their OIDC ids (CreateCluster, DescribeCluster,
 *   CreateOpenIDConnectProvider), one record that names each cluster the trail knows, one Pod Identity session of
 *   each cluster named (its ARN tag), and the Pod Identity associations;
 * - for Pod Identity sessions without tags, the tagged sessions of the cluster whose pod names fit the truncated one;
 * - for node sessions, the first eks-auth call of the instance, and one call per cluster of its node role.
 */
import { attributionBody, CHAIN_LINKS, type QueryOptions } from './rules';
import { recordJson } from './schema';
import type { Dialect } from './dialect';
import { EKS_AUTH_WINDOW_MS } from '../chain/node';
import { SESSION_NAME_PART } from '../chain/pod-identity';

/** The names a --where predicate may use, as columns of the table (plus `accessKeyId`, the caller's key). */
export const WHERE_FIELDS = ['eventName', 'eventSource', 'eventTime', 'sourceIPAddress', 'accessKeyId', 'recipientAccountId', 'awsRegion', 'userIdentity.arn'];

export class WhereError extends Error {}

/** A predicate is one SQL boolean expression: no statement separators, no comments, balanced quotes. */
export function checkWhere(where: string): string {
  const w = where.trim();
  if (!w) throw new WhereError('--where needs a predicate, e.g. "eventName = \'GetSecretValue\'"');
  const outside = w.replace(/'(?:[^']|'')*'/g, 'S');
  if (/'/.test(outside)) throw new WhereError('--where: unbalanced quote');
  if (/;|--|\/\*/.test(outside)) throw new WhereError('--where: one predicate only (no ";" and no comments)');
  return w;
}

export function extractQuery(d: Dialect, o: QueryOptions & { where: string }): string {
  const where = checkWhere(o.where);
  const chainKeys = Array.from({ length: CHAIN_LINKS }, (_, i) => `SELECT chain_${i + 1}_access_key_id AS k FROM ma`).join('\n  UNION ');
  return `${attributionBody(d, o)},
matched AS (
  SELECT DISTINCT eventid FROM (SELECT *, useridentity.accesskeyid AS accesskeyid FROM ${o.table}) t
  WHERE eventid IS NOT NULL AND (${where})${o.scan ? ` AND (${o.scan})` : ''}
),
ma AS (SELECT a.* FROM attribution a JOIN matched m ON m.eventid = a.eventid),
chain_keys AS (
  ${chainKeys}
  UNION SELECT accesskeyid FROM ma
  UNION SELECT i.i_key FROM iss i JOIN ma ON ma.eventid = i.i_event
),
need AS (
  SELECT eventid AS id FROM matched
  UNION SELECT i.i_event FROM iss i JOIN chain_keys c ON c.k = i.i_key
  UNION SELECT a.a_event FROM kr r JOIN chain_keys c ON c.k = r.key JOIN ea a ON a.a_key = r.r_cl_key
    AND a.a_ms BETWEEN r.i_ms - ${EKS_AUTH_WINDOW_MS.before} AND r.i_ms + ${EKS_AUTH_WINDOW_MS.after}
    WHERE r.i_kind = 'pi'
  UNION SELECT f_event FROM cf WHERE f_src = 'record'
  UNION SELECT min(f_event) FROM cf GROUP BY f_key
  UNION SELECT s_event FROM pia
  UNION SELECT i.i_event FROM nt u JOIN chain_keys c ON c.k = u.u_key JOIN nts t ON t.t_key = u.u_key
    JOIN iss i ON i.i_kind = 'pi' AND i.pi_key = t.s_ckey AND substr(i.pi_pod, 1, ${SESSION_NAME_PART}) = t.s_prefix
  UNION SELECT min(i.i_event) FROM iss i JOIN (SELECT DISTINCT cluster_key FROM ma) c ON c.cluster_key = i.pi_key GROUP BY i.pi_key
  UNION SELECT n.n_event FROM nco n JOIN (SELECT DISTINCT node_cluster_instance FROM ma) m ON m.node_cluster_instance = n.n_inst
  UNION SELECT min(a.a_event) FROM ea a JOIN (SELECT DISTINCT node_cluster_role FROM ma) m ON m.node_cluster_role = a.a_role
    WHERE a.a_caller <> 'cli' GROUP BY a.a_role, a.a_key
),
cut AS (
  SELECT t.*, row_number() OVER (PARTITION BY t.eventid ORDER BY t.eventtime, t.eventsource, t.eventname) AS dup
  FROM ${o.table} t JOIN need n ON n.id = t.eventid${o.scan ? `
  WHERE (${o.scan})` : ''}
)
SELECT ${recordJson(d, 't.')} AS record
FROM cut t
WHERE t.dup = 1
ORDER BY t.eventtime, t.eventid`;
}
