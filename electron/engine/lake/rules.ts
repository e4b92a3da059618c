/**
 * The attribution as one SQL query over the standard CloudTrail table (schema.ts), written once and rendered for
 * every dialect (dialect.ts). It gives, for every API event, the fields of the attribution record that the trail
 * alone establishes, by the rules of electron/engine/chain (docs/rules.md):
 *
 * - key → issuing STS call within its validity window (credentials.ts: the record's expiration, cut to what the
 *   call can grant, ±5 s; the caller's copy of a cross-account call preferred), the identity-type check, and
 *   `inferred` with a note for an event outside every window of its key;
 * - role chaining to the root, unrolled to CHAIN_DEPTH issuing calls (a note says where a chain goes deeper);
 * - the root: IRSA (service account from the web-identity subject, cluster from the OIDC id where an EKS or IAM
 *   record names it), Pod Identity (the session tags; the node whose agent called eks-auth within 2 s before to 1 s
 *   after), EC2 instance-profile sessions (the instance; its cluster from its own eks-auth calls or its node role),
 *   IAM users, Identity Center, SAML, AWS services, root; `unknown` where the record names no usable identity.
 *
 * - Pod Identity without session tags: the truncated session name split with the clusters the trail knows, the role's
 *   only association, the pods other sessions' tags name (inferred, or ambiguous with the pods listed).
 *
 * What needs Kubernetes evidence (IRSA → pod, audit bindings, node names) or reads the whole case at once (the
 * detections) stays in `podtrail attribute`.
 */
import { MECHANISMS, CONFIDENCES, type Confidence, type Mechanism } from '../../../shared/attribution';
import { ISSUING_CALLS, MAX_LIFETIME_S, WINDOW_SLACK_MS } from '../chain/credentials';
import { POD_IDENTITY_SERVICE, SESSION_NAME_PART } from '../chain/pod-identity';
import { EC2_SERVICE, EKS_AUTH_WINDOW_MS } from '../chain/node';
import { CLUSTER_NAME_TAGS } from '../chain/clusters';
import type { Dialect } from './dialect';

/** Issuing calls followed from an event's key towards its root (the key's own issuance counts as one). */
export const CHAIN_DEPTH = 6;
/** Links in the output chain: the issued ones and the key the last call was made with. */
export const CHAIN_LINKS = CHAIN_DEPTH + 1;

/**
 * How an event was tied to what made it (the `link` column): `key` (its key, inside an issuing call's window),
 * `outside` (its key, outside every window: inferred), `conflict` (inside a window, but its own identity type
 * contradicts the session: its own identity), `own` (its key is not issued in the trail, or it has none),
 * `issued` (a key-less AssumeRoleWithWebIdentity: the session it opened), `copy` (the role account's copy of a
 * cross-account call: its caller's attribution).
 */
const INSTANCE_ID = '^i-[0-9a-fA-F]{8}([0-9a-fA-F]{9})?$';
const EKS_OIDC = 'oidc[.]eks[.]([a-z0-9-]+)[.]amazonaws[.]com([.]cn)?/id/([A-Za-z0-9]+)';
const SA_SUBJECT = '^system:serviceaccount:([^:]+):([^:]+)$';
const EKS_ARN = '^arn:aws[a-z-]*:eks:([a-z0-9-]+):([0-9]{12}):cluster/(.+)$';
const SSO_ROLE = '(^|/)AWSReservedSSO_';

/** The flat columns of the result, in order (lake attribute turns them into the contract's records). */
export function resultColumns(): string[] {
  const chain: string[] = [];
  for (let i = 1; i <= CHAIN_LINKS; i++) chain.push(`chain_${i}_access_key_id`, `chain_${i}_issued_by_event_id`, `chain_${i}_issued_by_event_name`, `chain_${i}_issued_by_role_arn`);
  return [
    'eventid', 'eventtime', 'eventsource', 'eventname', 'recipientaccountid', 'awsregion', 'sourceipaddress', 'accesskeyid',
    'mechanism', 'chained', 'principal', 'cluster_name', 'cluster_arn', 'cluster_oidc_id', 'cluster_account', 'cluster_region',
    'namespace', 'service_account', 'pod_name', 'pod_uid', 'node_instance_id', 'pod_name_truncated',
    'confidence_identity', 'confidence_pod', 'confidence_node', 'node_candidates', 'pod_candidates', ...chain, 'notes', 'evidence', 'link',
  ];
}

export interface QueryOptions {
  /** The table (or view) with the documented CloudTrail layout. */
  table: string;
  /** A predicate over the table's columns that limits which records are read at all (partitions: `timestamp >= …`). */
  scan?: string;
}

const mech = (d: Dialect, m: Mechanism) => d.str(MECHANISMS.includes(m) ? m : 'unknown');
const conf = (d: Dialect, c: Confidence) => d.str(CONFIDENCES.includes(c) ? c : 'none');
const inList = (d: Dialect, xs: Iterable<string>) => [...xs].map((x) => d.str(x)).join(', ');

/** The common table expressions every query here starts with (attribution and extract share them). */
export function attributionCtes(d: Dialect, o: QueryOptions): string {
  const S = (s: string) => d.str(s);
  const js = (c: string, p: string) => d.jsonStr(c, p);
  const rx = (e: string, p: string, g: number) => d.regexpGroup(e, p, g);
  const like = (e: string, p: string) => d.regexpLike(e, p);
  const slack = WINDOW_SLACK_MS;
  const nl = d.newline;
  const maxLife = `CASE eventname ${Object.entries(MAX_LIFETIME_S).map(([n, s]) => `WHEN ${S(n)} THEN ${s}`).join(' ')} ELSE ${12 * 3600} END`;
  const tag = (k: string) => d.tagValue('rp', 'tags', k);
  const key3 = (acct: string, region: string, name: string) => `coalesce(${acct}, '?') || ':' || coalesce(${region}, '?') || ':' || ${name}`;

  // The chain: level i is the i-th issuing call from the event's key towards the root.
  const levels = Array.from({ length: CHAIN_DEPTH }, (_, i) => i + 1);
  const walkJoins = levels
    .slice(1)
    .map((i) => `LEFT JOIN kr k${i} ON k${i}.key = k${i - 1}.parent ${levels.slice(0, i - 1).map((p) => `AND k${i}.key <> k${p}.key`).join(' ')}`)
    .join('\n  ');
  const depthExpr = `CASE ${levels.slice().reverse().map((i) => `WHEN k${i}.key IS NOT NULL THEN ${i}`).join(' ')} END`;
  const rootKey = `coalesce(${levels.slice().reverse().map((i) => `k${i}.key`).join(', ')})`;
  const stepsFrom = (from: number) => levels.filter((i) => i >= from).map((i) => `coalesce(k${i}.step, FALSE)`).join(' OR ');
  /** Link j of the compacted chain that starts at level `from`: an issued level, then the tail key. */
  const chainCol = (from: number, j: number, field: 'key' | 'i_event' | 'i_name' | 'i_role') => {
    const level = from + j - 1;
    const issued = level <= CHAIN_DEPTH ? `WHEN k${level}.key IS NOT NULL THEN k${level}.${field}` : '';
    const tailAt = level - 1; // the tail (the key the last call was made with) follows the last issued level
    const tail = tailAt >= 1 && tailAt <= CHAIN_DEPTH && field === 'key' ? `WHEN w_depth = ${tailAt} THEN root_tail` : '';
    return issued || tail ? `CASE ${issued} ${tail} ELSE NULL END` : 'NULL';
  };
  const chainCols: string[] = [];
  for (const [prefix, from] of [['rc', 1], ['rs', 2]] as const) {
    for (let j = 1; j <= CHAIN_LINKS; j++) {
      for (const [f, name] of [['key', 'k'], ['i_event', 'e'], ['i_name', 'n'], ['i_role', 'r']] as const) {
        chainCols.push(`${chainCol(from, j, f).replace(/w_depth/g, depthExpr).replace(/root_tail/g, 'r.r_tail')} AS ${prefix}${j}${name}`);
      }
    }
  }

  /** The event `e` inside issuance `i`'s validity window, and its identity type fitting the session `i` opened. */
  const inWindow = (i: string) => `e.event_ms BETWEEN ${i}.i_ms - ${slack} AND ${i}.i_exp + ${slack}`;
  const fit = (i: string) => `CASE WHEN ${i}.i_types = '' OR e.ui_type IS NULL OR e.ui_type IN ('AWSAccount', 'AWSService') OR e.ui_type = ${i}.i_types THEN 1 ELSE 0 END`;

  /**
   * The caller's own identity (web identity, kind, mechanism, principal, notes) of the records in `from`, as CTEs
   * `<p>wi`, `<p>kinds`, `<p>own`: once over every event, once over the few issuing calls (fx) the chain reads.
   */
  const identity = (p: string, from: string) => `${p}wi AS (
  SELECT *,
    ${rx('wi_provider', EKS_OIDC, 3)} AS wi_oidc,
    ${rx('wi_subject', SA_SUBJECT, 1)} AS wi_ns,
    ${rx('wi_subject', SA_SUBJECT, 2)} AS wi_sa
  FROM (
    SELECT *,
      CASE WHEN ui_type = 'WebIdentityUser' OR ui_fed IS NOT NULL OR eventname = 'AssumeRoleWithWebIdentity' THEN
        coalesce(${js('re', '$.provider')}, ui_fed, CASE WHEN ui_type = 'WebIdentityUser' THEN ${rx('ui_pid', `^(.*${EKS_OIDC})`, 1)} END) END AS wi_provider,
      CASE WHEN ui_type = 'WebIdentityUser' OR ui_fed IS NOT NULL OR eventname = 'AssumeRoleWithWebIdentity' THEN
        coalesce(ui_user, ${js('re', '$.subjectFromWebIdentityToken')}, ${rx('ui_pid', '(system:serviceaccount:.*)$', 1)}) END AS wi_subject
    FROM ${from}
  ) x
),
${p}kinds AS (
  SELECT *,
    CASE
      WHEN ui_type = 'IAMUser' THEN 'iam-user'
      WHEN ui_type = 'Root' THEN 'root'
      WHEN ui_type = 'AWSService' THEN 'aws-service'
      WHEN ui_type = 'WebIdentityUser' THEN CASE WHEN wi_oidc IS NOT NULL THEN 'webid-eks' ELSE 'webid' END
      WHEN ui_type = 'SAMLUser' THEN 'saml'
      WHEN ui_type = 'AssumedRole' THEN
        CASE
          WHEN coalesce(ui_invoked, CASE WHEN ${like('sourceipaddress', '[.]amazonaws[.]com$')} THEN sourceipaddress END) IS NOT NULL
            AND (coalesce(ui_issuer_arn, '') LIKE '%/aws-service-role/%' OR coalesce(ui_role, ui_issuer_name, '') LIKE 'AWSServiceRoleFor%') THEN 'slr'
          WHEN ${like('coalesce(ui_issuer_arn, \'\')', SSO_ROLE)} OR coalesce(ui_issuer_arn, '') LIKE '%/aws-reserved/sso.amazonaws.com/%'
            OR ${like('coalesce(ui_role, \'\')', SSO_ROLE)} THEN 'sso'
          WHEN ${like('ui_session', INSTANCE_ID)} THEN 'instance'
          WHEN coalesce(ui_fed, '') <> '' AND wi_oidc IS NOT NULL THEN 'irsa-noiss'
          ELSE 'role'
        END
      WHEN ui_type = 'AWSAccount' THEN 'account'
      WHEN ui_invoked IS NOT NULL AND (ui_type IS NULL OR eventtype = 'AwsServiceEvent') THEN 'svc-event'
      ELSE 'unknown'
    END AS o_kind
  FROM ${p}wi
),
${p}own AS (
  SELECT *,
    CASE o_kind
      WHEN 'iam-user' THEN ${mech(d, 'iam-user')} WHEN 'root' THEN ${mech(d, 'root')} WHEN 'aws-service' THEN ${mech(d, 'aws-service')}
      WHEN 'webid-eks' THEN ${mech(d, 'irsa')} WHEN 'webid' THEN ${mech(d, 'assumed-role')} WHEN 'saml' THEN ${mech(d, 'saml')}
      WHEN 'slr' THEN ${mech(d, 'aws-service')} WHEN 'sso' THEN ${mech(d, 'sso')} WHEN 'instance' THEN ${mech(d, 'node-role')}
      WHEN 'irsa-noiss' THEN ${mech(d, 'irsa')} WHEN 'role' THEN ${mech(d, 'assumed-role')} WHEN 'svc-event' THEN ${mech(d, 'aws-service')}
      ELSE ${mech(d, 'unknown')}
    END AS o_mech,
    CASE o_kind
      WHEN 'iam-user' THEN coalesce(ui_arn, 'IAM user ' || coalesce(ui_user, '?'))
      WHEN 'root' THEN 'root user of account ' || coalesce(ui_account, '?')
      WHEN 'aws-service' THEN coalesce(ui_invoked, 'an AWS service')
      WHEN 'webid-eks' THEN wi_subject
      WHEN 'webid' THEN CASE WHEN wi_subject IS NOT NULL THEN 'web identity ' || wi_subject || ' via ' || coalesce(wi_provider, '?') ELSE wi_provider END
      WHEN 'saml' THEN coalesce(ui_user, ui_pid)
      WHEN 'slr' THEN coalesce(ui_invoked, sourceipaddress)
      WHEN 'sso' THEN coalesce(nullif(coalesce(ui_session, ${rx('ui_pid', '^[^:]*:(.*)$', 1)}), ''), '?') || ' via IAM Identity Center (' || coalesce(ui_role, ui_issuer_name, ui_issuer_arn, '') || ')'
      WHEN 'account' THEN 'a principal of account ' || coalesce(ui_account, '?') || ' (named only in that account''s trail)'
      WHEN 'svc-event' THEN ui_invoked
      ELSE ui_arn
    END AS o_principal,
    CASE
      WHEN o_kind IN ('iam-user', 'root', 'aws-service', 'webid', 'saml', 'slr', 'sso', 'svc-event') THEN ${conf(d, 'proven')}
      WHEN o_kind = 'webid-eks' AND wi_ns IS NOT NULL THEN ${conf(d, 'proven')}
      WHEN o_kind = 'instance' THEN CASE WHEN ui_imds IS NOT NULL THEN ${conf(d, 'proven')} ELSE ${conf(d, 'inferred')} END
      ELSE ${conf(d, 'none')}
    END AS o_conf_id,
    CASE WHEN o_kind = 'instance' THEN ui_session END AS o_node,
    CASE WHEN o_kind = 'instance' THEN CASE WHEN ui_imds IS NOT NULL THEN ${conf(d, 'proven')} ELSE ${conf(d, 'inferred')} END ELSE ${conf(d, 'none')} END AS o_conf_node,
    CASE WHEN o_kind = 'webid-eks' THEN wi_ns END AS o_ns,
    CASE WHEN o_kind = 'webid-eks' THEN wi_sa END AS o_sa,
    CASE WHEN o_kind IN ('webid-eks', 'irsa-noiss') THEN wi_oidc END AS o_oidc,
    CASE WHEN o_kind = 'instance' THEN ui_session END AS o_node_inst,
    CASE WHEN o_kind = 'instance' THEN nullif(ui_issuer_arn, '') END AS o_node_role,
    concat_ws(${nl},
      CASE WHEN o_kind IN ('role', 'irsa-noiss') OR (o_kind = 'instance' AND ui_imds IS NULL) THEN
        CASE WHEN akey LIKE 'ASIA%' THEN 'the call that issued ' || akey || ' is not in the trail' END END,
      CASE WHEN o_kind = 'irsa-noiss' THEN 'the AssumeRoleWithWebIdentity that named the service account is not in the trail' END,
      CASE WHEN o_kind = 'webid-eks' AND wi_ns IS NULL THEN 'web identity subject ' || coalesce(wi_subject, '(none)') || ' is not a Kubernetes service account' END,
      CASE WHEN o_kind = 'webid-eks' THEN 'IRSA names the service account, not the pod or node: EKS audit logs are needed to go further' END,
      CASE WHEN o_kind = 'instance' AND ${like('ui_session', '[A-F]')} THEN 'instance id ' || ui_session || ' has upper-case letters, which EC2 never writes: an edited or anonymised record' END,
      CASE WHEN o_kind = 'role' AND ${like('ui_session', '^eks-.+-[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')} THEN 'the session name has the EKS Pod Identity form, but without its issuing call that is not proof' END,
      CASE WHEN o_kind = 'account' THEN 'the caller is identified only by its account; load that account''s trail to name it' END,
      CASE WHEN o_kind = 'unknown' THEN CASE WHEN ui_type IS NOT NULL THEN 'identity type ' || ui_type || ' is not attributed further' ELSE 'the record has no userIdentity' END END
    ) AS o_note
  FROM ${p}kinds
)`;

  const FACT_SOURCES = `eventsource IN ('sts.amazonaws.com', 'eks.amazonaws.com', 'eks-auth.amazonaws.com', 'iam.amazonaws.com')`;

  /** The table's columns the rules read, of the rows that are API events (`where`: further limited). */
  const src = (where?: string) => `
  SELECT eventid, eventtime, eventsource, eventname, awsregion, sourceipaddress, recipientaccountid, errorcode, eventtype,
    -- Only the records the rules read carry their request and response text further (the rest is never parsed).
    CASE WHEN eventsource = 'eks-auth.amazonaws.com' THEN useragent END AS useragent,
    CASE WHEN ${FACT_SOURCES} OR useridentity.type = 'WebIdentityUser' THEN requestparameters END AS rp,
    CASE WHEN ${FACT_SOURCES} OR useridentity.type = 'WebIdentityUser' THEN responseelements END AS re,
    useridentity.type AS ui_type, useridentity.principalid AS ui_pid, useridentity.arn AS ui_arn,
    useridentity.accountid AS ui_account, useridentity.invokedby AS ui_invoked,
    nullif(useridentity.accesskeyid, '') AS akey, useridentity.username AS ui_user,
    useridentity.sessioncontext.sessionissuer.arn AS ui_issuer_arn,
    useridentity.sessioncontext.sessionissuer.username AS ui_issuer_name,
    useridentity.sessioncontext.ec2roledelivery AS ui_imds,
    useridentity.sessioncontext.webidfederationdata.federatedprovider AS ui_fed
  FROM ${o.table}
  WHERE eventid IS NOT NULL AND coalesce(eventtype, '') <> 'AwsCloudTrailInsight'${o.scan ? ` AND (${o.scan})` : ''}${where ? ` AND (${where})` : ''}`;
  /**
   * The API events, one per eventID (of duplicate deliveries the first by time, source and name; the window runs
   * over the narrowed columns, so it does not carry the request and response text of records the rules never read),
   * with what the rules derive from each. With `only` (a predicate over these columns): the same rows limited to
   * those it holds for, de-duplicated among the deliveries of their own eventIDs only, which gives the very rows the
   * whole set would, without a pass over every event. Each use is its own subquery: engines that keep a CTE used
   * several times (DuckDB) would otherwise hold every event once more.
   */
  const events = (only?: string) => `SELECT * FROM (
  SELECT *, ${d.isoMs('eventtime')} AS event_ms,
    ${rx('ui_arn', ':assumed-role/[^/]+/(.+)$', 1)} AS ui_session,
    ${rx('ui_arn', ':assumed-role/([^/]+)/', 1)} AS ui_role,
    coalesce(recipientaccountid, ui_account) AS where_account,
    CASE WHEN eventsource = 'sts.amazonaws.com' THEN ${js('re', '$.credentials.accessKeyId')} END AS resp_key,
    coalesce(errorcode, '') = '' AS ok
  FROM (
    SELECT *, row_number() OVER (PARTITION BY eventid ORDER BY eventtime, eventsource, eventname) AS dup
    FROM (${src(only ? `eventid IN (SELECT eventid FROM (${src()}) s WHERE ${only})` : undefined)}) s
  ) o WHERE dup = 1
) e${only ? ` WHERE ${only}` : ''}`;

  return `WITH
ev AS (${events()}),
-- The records the credential and cluster rules read (STS, EKS, eks-auth, IAM): a small set, scanned several times.
fx AS (${events(FACT_SOURCES)}),
${identity('', 'ev')},
${identity('fx_', 'fx')},
iss AS (
  SELECT resp_key AS i_key, eventid AS i_event, eventname AS i_name, event_ms AS i_ms, awsregion AS i_region, where_account AS i_account,
    ${js('rp', '$.roleArn')} AS i_role,
    coalesce(${js('rp', '$.roleSessionName')}, ${js('rp', '$.name')}) AS i_session,
    CASE WHEN ui_type IS NULL OR ui_type = 'AWSAccount' THEN 1 ELSE 0 END AS i_rank,
    ui_type AS i_caller_type, akey AS i_caller_key,
    CASE
      WHEN ui_invoked = ${S(POD_IDENTITY_SERVICE)} AND (ui_type IS NULL OR ui_type = 'AWSService') THEN 'pi'
      WHEN ui_invoked = ${S(EC2_SERVICE)} AND ${like(js('rp', '$.roleSessionName'), INSTANCE_ID)} THEN 'ec2'
      WHEN eventname = 'AssumeRoleWithWebIdentity' THEN 'webid'
      WHEN eventname = 'AssumeRoleWithSAML' THEN 'saml'
      ELSE 'call'
    END AS i_kind,
    CASE
      WHEN eventname IN ('AssumeRole', 'AssumeRoleWithWebIdentity', 'AssumeRoleWithSAML') THEN 'AssumedRole'
      WHEN eventname = 'GetFederationToken' THEN 'FederatedUser'
      WHEN eventname = 'AssumeRoot' THEN 'Root'
      WHEN eventname = 'GetSessionToken' AND ui_type IN ('IAMUser', 'Root') THEN ui_type
      ELSE ''
    END AS i_types,
    CAST(CASE
      WHEN exp_ms IS NULL THEN event_ms + CASE WHEN req_s > 0 THEN least(req_s, max_s) ELSE max_s END * 1000
      WHEN exp_ms > event_ms + max_s * 1000 + ${slack} THEN event_ms + max_s * 1000
      ELSE exp_ms
    END AS BIGINT) AS i_exp,
    ui_user AS i_user, coalesce(ui_user, ui_pid) AS i_saml_user, ${js('rp', '$.principalArn')} AS i_saml_provider,
    pi_cluster, pi_cluster_arn, pi_ns, pi_sa, pi_pod, pi_uid,
    CASE WHEN pi_cluster IS NOT NULL THEN ${key3(`coalesce(${rx('pi_cluster_arn', EKS_ARN, 2)}, where_account)`, `coalesce(${rx('pi_cluster_arn', EKS_ARN, 1)}, awsregion)`, 'pi_cluster')} END AS pi_key
  FROM (
    SELECT *, ${d.expirationMs(js('re', '$.credentials.expiration'))} AS exp_ms,
      TRY_CAST(${js('rp', '$.durationSeconds')} AS DOUBLE) AS req_s, ${maxLife} AS max_s,
      CASE WHEN ui_invoked = ${S(POD_IDENTITY_SERVICE)} THEN ${tag('eks-cluster-name')} END AS pi_cluster,
      CASE WHEN ui_invoked = ${S(POD_IDENTITY_SERVICE)} THEN ${tag('eks-cluster-arn')} END AS pi_cluster_arn,
      CASE WHEN ui_invoked = ${S(POD_IDENTITY_SERVICE)} THEN ${tag('kubernetes-namespace')} END AS pi_ns,
      CASE WHEN ui_invoked = ${S(POD_IDENTITY_SERVICE)} THEN ${tag('kubernetes-service-account')} END AS pi_sa,
      CASE WHEN ui_invoked = ${S(POD_IDENTITY_SERVICE)} THEN ${tag('kubernetes-pod-name')} END AS pi_pod,
      CASE WHEN ui_invoked = ${S(POD_IDENTITY_SERVICE)} THEN ${tag('kubernetes-pod-uid')} END AS pi_uid
    FROM fx
    WHERE eventsource = 'sts.amazonaws.com' AND eventname IN (${inList(d, ISSUING_CALLS)}) AND ok
      AND resp_key IS NOT NULL AND resp_key <> '' AND resp_key NOT LIKE 'AKIA%' AND resp_key <> coalesce(akey, '')
  ) x
),
pref AS (
  SELECT * FROM (
    SELECT *, row_number() OVER (PARTITION BY i_key ORDER BY i_rank, i_ms, i_event) AS rn, count(*) OVER (PARTITION BY i_key) AS i_n FROM iss
  ) x WHERE rn = 1
),
cov AS (
  SELECT DISTINCT p.i_key AS key, c.i_key AS parent
  FROM pref p JOIN iss c ON c.i_key = p.i_caller_key AND p.i_ms BETWEEN c.i_ms - ${slack} AND c.i_exp + ${slack}
  WHERE p.i_kind = 'call' AND p.i_caller_type IN ('AssumedRole', 'FederatedUser', 'IAMUser')
),
issued_keys AS (SELECT DISTINCT i_key FROM iss),
ea AS (
  SELECT eventid AS a_event, event_ms AS a_ms, awsregion AS a_region, ${js('rp', '$.clusterName')} AS a_cluster,
    ${key3('where_account', 'awsregion', js('rp', '$.clusterName'))} AS a_key, ui_session AS a_inst, ui_issuer_arn AS a_role,
    CASE
      WHEN ${like('useragent', '^aws-cli/')} OR ${like('useragent', '(^|[^A-Za-z0-9_])command/eks-auth[.]')} THEN 'cli'
      WHEN ${like('useragent', '(^|[^A-Za-z0-9_])api/eksauth#')} THEN 'agent'
      ELSE 'other'
    END AS a_caller
  FROM fx
  WHERE eventsource = 'eks-auth.amazonaws.com' AND eventname = 'AssumeRoleForPodIdentity' AND ok
    AND ${js('rp', '$.clusterName')} IS NOT NULL AND ${like('ui_session', INSTANCE_ID)}
),
cf AS (
  SELECT eventid AS f_event, 'record' AS f_src, f_name, f_arn, f_oidc,
    ${key3(`coalesce(${rx('f_arn', EKS_ARN, 2)}, where_account)`, `coalesce(${rx('f_arn', EKS_ARN, 1)}, f_oidc_region, awsregion)`, 'f_name')} AS f_key
  FROM (
    SELECT eventid, where_account, awsregion,
      coalesce(${js('re', '$.cluster.name')}, ${js('re', '$.cluster.clusterName')}) AS f_name, ${js('re', '$.cluster.arn')} AS f_arn,
      ${rx(js('re', '$.cluster.identity.oidc.issuer'), EKS_OIDC, 3)} AS f_oidc, ${rx(js('re', '$.cluster.identity.oidc.issuer'), EKS_OIDC, 1)} AS f_oidc_region
    FROM fx WHERE eventsource = 'eks.amazonaws.com' AND eventname IN ('CreateCluster', 'DescribeCluster') AND ok
    UNION ALL
    SELECT eventid, where_account, NULL AS awsregion,
      CASE WHEN eventsource = 'iam.amazonaws.com' THEN coalesce(${CLUSTER_NAME_TAGS.map((t) => tag(t)).join(', ')}) END AS f_name, NULL AS f_arn,
      ${rx(js('rp', '$.url'), EKS_OIDC, 3)} AS f_oidc, ${rx(js('rp', '$.url'), EKS_OIDC, 1)} AS f_oidc_region
    FROM fx WHERE eventsource = 'iam.amazonaws.com' AND eventname = 'CreateOpenIDConnectProvider' AND ok
      AND ${rx(js('rp', '$.url'), EKS_OIDC, 3)} IS NOT NULL
  ) x
  WHERE f_name IS NOT NULL
  UNION ALL
  SELECT i_event, 'pod-identity', pi_cluster, pi_cluster_arn, NULL, pi_key FROM iss WHERE pi_key IS NOT NULL
  UNION ALL
  SELECT a_event, 'eks-auth', a_cluster, NULL, NULL, a_key FROM ea
),
cbk AS (
  SELECT f_key AS c_key, min(f_name) AS c_name, min(f_arn) AS c_arn, min(f_oidc) AS c_oidc, min(f_event) AS c_event,
    nullif(min(${rx('f_key', '^([^:]*):', 1)}), '?') AS c_account, nullif(min(${rx('f_key', '^[^:]*:([^:]*):', 1)}), '?') AS c_region
  FROM cf GROUP BY f_key
),
cbo AS (SELECT f_oidc AS o_oidc, min(f_key) AS o_key FROM cf WHERE f_oidc IS NOT NULL GROUP BY f_oidc),
nco AS (
  SELECT a_inst AS n_inst, a_key AS n_key, a_event AS n_event FROM (
    SELECT a_inst, a_key, a_event, row_number() OVER (PARTITION BY a_inst ORDER BY a_ms, a_event) AS rn FROM ea WHERE a_caller <> 'cli'
  ) x WHERE rn = 1
),
ncr AS (
  SELECT a_role AS r_role, min(a_key) AS r_key, min(a_event) AS r_event FROM ea
  WHERE a_caller <> 'cli' AND a_role IS NOT NULL GROUP BY a_role HAVING count(DISTINCT a_key) = 1
),
pia AS (
  SELECT eventid AS s_event, s_cluster, s_ns, s_sa, s_role, where_account AS s_account, awsregion AS s_region,
    ${key3('where_account', 'awsregion', 's_cluster')} AS s_key
  FROM (
    SELECT *, ${js('re', '$.association.clusterName')} AS s_cluster, ${js('re', '$.association.namespace')} AS s_ns,
      ${js('re', '$.association.serviceAccount')} AS s_sa, ${js('re', '$.association.roleArn')} AS s_role
    FROM fx WHERE eventsource = 'eks.amazonaws.com' AND ok
  ) x
  WHERE s_cluster IS NOT NULL AND s_ns IS NOT NULL AND s_sa IS NOT NULL AND s_role IS NOT NULL
),
ntp AS (
  SELECT i_key AS t_key, i_role AS t_role, i_account AS t_account, i_region AS t_region,
    ${rx('i_session', '^eks-(.+)-[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$', 1)} AS t_middle
  FROM pref WHERE i_kind = 'pi' AND pi_pod IS NULL AND pi_sa IS NULL
),
ntc AS (
  SELECT t.t_key, c.k_name, min(c.k_key) AS k_key
  FROM ntp t JOIN (
    SELECT c_key AS k_key, c_name AS k_name, c_account AS k_account, c_region AS k_region, NULL AS k_role FROM cbk
    UNION ALL SELECT s_key, s_cluster, s_account, s_region, s_role FROM pia
  ) c ON (c.k_role IS NULL OR c.k_role = t.t_role)
    AND (c.k_account IS NULL OR t.t_account IS NULL OR c.k_account = t.t_account)
    AND (c.k_region IS NULL OR t.t_region IS NULL OR c.k_region = t.t_region)
    AND length(t.t_middle) > length(substr(c.k_name, 1, ${SESSION_NAME_PART})) + 1
    AND substr(t.t_middle, 1, length(substr(c.k_name, 1, ${SESSION_NAME_PART})) + 1) = substr(c.k_name, 1, ${SESSION_NAME_PART}) || '-'
  GROUP BY t.t_key, c.k_name
),
nts AS (
  SELECT t.t_key, t.t_role, t.t_account, t.t_region, t.t_middle, s.s_n,
    CASE WHEN s.s_n = 1 THEN s.s_name END AS s_name, CASE WHEN s.s_n = 1 THEN s.s_ckey END AS s_ckey,
    CASE WHEN s.s_n = 1 THEN substr(t.t_middle, length(substr(s.s_name, 1, ${SESSION_NAME_PART})) + 2) END AS s_prefix
  FROM ntp t LEFT JOIN (SELECT t_key, count(*) AS s_n, min(k_name) AS s_name, min(k_key) AS s_ckey FROM ntc GROUP BY t_key) s ON s.t_key = t.t_key
),
nta AS (
  SELECT t.t_key, count(*) AS a_n, min(a.s_ns) AS a_ns, min(a.s_sa) AS a_sa, min(a.s_key) AS a_ckey, min(a.s_event) AS a_event
  FROM nts t JOIN pia a ON a.s_role = t.t_role
  WHERE (t.t_account IS NULL OR a.s_account = t.t_account) AND (t.t_region IS NULL OR a.s_region = t.t_region)
    AND (t.s_name IS NULL OR a.s_cluster = t.s_name)
  GROUP BY t.t_key
),
ntq AS (
  SELECT t.t_key, count(DISTINCT p.pi_pod) AS p_n, min(p.pi_pod) AS p_name, min(p.pi_uid) AS p_uid,
    ${d.stringAgg(`t.s_prefix || '/' || p.pi_pod || '/' || coalesce(p.pi_uid, '')`, nl)} AS p_all
  FROM nts t JOIN iss p ON p.i_kind = 'pi' AND p.pi_key = t.s_ckey AND p.pi_pod IS NOT NULL
    AND substr(p.pi_pod, 1, ${SESSION_NAME_PART}) = t.s_prefix
  GROUP BY t.t_key
),
nt AS (
  SELECT t.t_key AS u_key, t.s_n AS u_splits, t.s_prefix AS u_prefix,
    coalesce(t.s_ckey, CASE WHEN a.a_n = 1 THEN a.a_ckey END) AS u_ckey,
    CASE WHEN a.a_n = 1 THEN a.a_ns END AS u_ns, CASE WHEN a.a_n = 1 THEN a.a_sa END AS u_sa,
    CASE WHEN t.s_prefix IS NOT NULL THEN CASE WHEN q.p_n = 1 THEN q.p_name WHEN q.p_n > 1 THEN NULL ELSE t.s_prefix END END AS u_pod,
    CASE WHEN q.p_n = 1 THEN q.p_uid END AS u_uid,
    t.s_prefix IS NOT NULL AND coalesce(q.p_n, 0) = 0 AS u_trunc,
    CASE WHEN t.s_prefix IS NULL THEN ${conf(d, 'none')} WHEN q.p_n > 1 THEN ${conf(d, 'ambiguous')} ELSE ${conf(d, 'inferred')} END AS u_conf_pod,
    CASE WHEN q.p_n > 1 THEN q.p_all END AS u_pods,
    concat_ws(${nl}, 'no session tags (disableSessionTags): pod and cluster come from the truncated role session name',
      CASE WHEN t.t_middle IS NOT NULL AND coalesce(t.s_n, 0) = 0 THEN 'no cluster in the trail matches the session name prefix' END,
      CASE WHEN t.s_n > 1 THEN 'several clusters match the session name' END) AS u_note,
    a.a_event AS u_event
  FROM nts t LEFT JOIN nta a ON a.t_key = t.t_key LEFT JOIN ntq q ON q.t_key = t.t_key
),
kr AS (
  SELECT p.i_key AS key, p.i_event, p.i_name, p.i_role, p.i_kind, p.i_ms, p.i_region, p.pi_key, c.parent,
    p.i_kind = 'call' AND p.i_caller_type = 'AssumedRole' AND p.i_caller_key IS NOT NULL AS step,
    CASE WHEN p.i_kind = 'call' AND p.i_caller_type IN ('AssumedRole', 'FederatedUser', 'IAMUser') AND c.parent IS NULL AND ik.i_key IS NOT NULL
      THEN p.i_caller_key || ' was issued in the trail, but this call falls outside its validity window' END AS parent_note,
    CASE p.i_kind
      WHEN 'pi' THEN ${mech(d, 'pod-identity')} WHEN 'ec2' THEN ${mech(d, 'node-role')}
      WHEN 'saml' THEN CASE WHEN ${like('p.i_role', SSO_ROLE)} THEN ${mech(d, 'sso')} ELSE ${mech(d, 'saml')} END
      ELSE e.o_mech
    END AS r_mech,
    CASE p.i_kind
      WHEN 'pi' THEN CASE
        WHEN p.pi_ns IS NOT NULL AND p.pi_sa IS NOT NULL AND (p.pi_pod IS NOT NULL OR p.pi_sa IS NOT NULL) THEN 'system:serviceaccount:' || p.pi_ns || ':' || p.pi_sa
        WHEN u.u_ns IS NOT NULL AND u.u_sa IS NOT NULL THEN 'system:serviceaccount:' || u.u_ns || ':' || u.u_sa
        ELSE 'EKS Pod Identity session ' || coalesce(p.i_session, '?') END
      WHEN 'ec2' THEN CASE WHEN p.i_role IS NOT NULL THEN p.i_role || ' on EC2 instance ' || p.i_session ELSE 'EC2 instance ' || p.i_session END
      WHEN 'saml' THEN CASE WHEN p.i_saml_user IS NOT NULL THEN p.i_saml_user || ' via ' || coalesce(p.i_saml_provider, 'SAML') END
      ELSE e.o_principal
    END AS r_principal,
    CASE p.i_kind
      WHEN 'pi' THEN CASE WHEN p.pi_pod IS NOT NULL OR p.pi_sa IS NOT NULL THEN ${conf(d, 'proven')} ELSE ${conf(d, 'inferred')} END
      WHEN 'ec2' THEN ${conf(d, 'proven')} WHEN 'saml' THEN ${conf(d, 'proven')}
      ELSE e.o_conf_id
    END AS r_conf_id,
    CASE WHEN p.i_kind = 'pi' AND p.pi_pod IS NOT NULL THEN ${conf(d, 'proven')} WHEN p.i_kind = 'pi' AND u.u_key IS NOT NULL THEN u.u_conf_pod ELSE ${conf(d, 'none')} END AS r_conf_pod,
    CASE p.i_kind WHEN 'pi' THEN ${conf(d, 'none')} WHEN 'ec2' THEN ${conf(d, 'proven')} WHEN 'saml' THEN ${conf(d, 'none')} ELSE e.o_conf_node END AS r_conf_node,
    CASE p.i_kind WHEN 'pi' THEN CASE WHEN p.pi_pod IS NOT NULL OR p.pi_sa IS NOT NULL THEN p.pi_ns ELSE u.u_ns END WHEN 'ec2' THEN NULL WHEN 'saml' THEN NULL ELSE e.o_ns END AS r_ns,
    CASE p.i_kind WHEN 'pi' THEN CASE WHEN p.pi_pod IS NOT NULL OR p.pi_sa IS NOT NULL THEN p.pi_sa ELSE u.u_sa END WHEN 'ec2' THEN NULL WHEN 'saml' THEN NULL ELSE e.o_sa END AS r_sa,
    CASE WHEN p.i_kind = 'pi' THEN coalesce(p.pi_pod, u.u_pod) END AS r_pod,
    CASE WHEN p.i_kind = 'pi' AND p.pi_pod IS NOT NULL THEN p.pi_uid WHEN p.i_kind = 'pi' THEN u.u_uid END AS r_uid,
    CASE WHEN p.i_kind = 'pi' AND p.pi_pod IS NULL THEN coalesce(u.u_trunc, FALSE) ELSE FALSE END AS r_pod_trunc,
    CASE WHEN p.i_kind = 'pi' THEN u.u_pods END AS r_pod_candidates,
    CASE p.i_kind WHEN 'ec2' THEN p.i_session WHEN 'pi' THEN NULL WHEN 'saml' THEN NULL ELSE e.o_node END AS r_node,
    CASE WHEN p.i_kind = 'pi' AND (p.pi_pod IS NOT NULL OR p.pi_sa IS NOT NULL) THEN p.pi_key WHEN p.i_kind = 'pi' THEN u.u_ckey END AS r_cl_key,
    CASE WHEN p.i_kind = 'pi' AND (p.pi_pod IS NOT NULL OR p.pi_sa IS NOT NULL) THEN p.pi_cluster_arn END AS r_cl_arn,
    CASE WHEN p.i_kind IN ('pi', 'ec2', 'saml') THEN NULL ELSE e.o_oidc END AS r_oidc,
    CASE p.i_kind WHEN 'ec2' THEN p.i_session WHEN 'pi' THEN NULL WHEN 'saml' THEN NULL ELSE e.o_node_inst END AS r_node_inst,
    CASE p.i_kind WHEN 'ec2' THEN p.i_role WHEN 'pi' THEN NULL WHEN 'saml' THEN NULL ELSE e.o_node_role END AS r_node_role,
    CASE WHEN p.i_kind = 'call' THEN e.akey END AS r_tail,
    CASE p.i_kind
      WHEN 'pi' THEN u.u_note
      WHEN 'ec2' THEN NULL WHEN 'saml' THEN NULL
      ELSE e.o_note
    END AS r_note
  FROM pref p
  JOIN fx_own e ON e.eventid = p.i_event
  LEFT JOIN cov c ON c.key = p.i_key
  LEFT JOIN issued_keys ik ON ik.i_key = p.i_caller_key
  LEFT JOIN nt u ON u.u_key = p.i_key
),
pic AS (
  -- Each node whose agent called eks-auth in the window, by its call closest to the AssumeRole (the earliest on a tie).
  SELECT m_key, a_inst, m_delta, a_event FROM (
    SELECT r.key AS m_key, a.a_inst, r.i_ms - a.a_ms AS m_delta, a.a_event,
      row_number() OVER (PARTITION BY r.key, a.a_inst ORDER BY abs(r.i_ms - a.a_ms), a.a_ms, a.a_event) AS rn
    FROM kr r JOIN ea a ON a.a_key = r.r_cl_key
    WHERE r.i_kind = 'pi' AND a.a_caller <> 'cli' AND a.a_ms BETWEEN r.i_ms - ${EKS_AUTH_WINDOW_MS.before} AND r.i_ms + ${EKS_AUTH_WINDOW_MS.after}
      AND (r.i_region IS NULL OR a.a_region IS NULL OR r.i_region = a.a_region)
  ) x WHERE rn = 1
),
pim AS (
  SELECT m_key, count(*) AS m_n, min(a_inst) AS m_inst,
    ${d.stringAgg(`a_inst || ':' || ${d.text('m_delta')} || ':' || a_event`, ',')} AS m_all, ${d.stringAgg('a_event', nl)} AS m_events
  FROM pic GROUP BY m_key
),
res AS (
  SELECT k1.key AS key, ${depthExpr} AS depth,
    ${stepsFrom(1)} AS chained1, ${stepsFrom(2)} AS chained2,
    r.r_mech, r.r_principal, r.r_conf_id, r.r_conf_pod, r.r_ns, r.r_sa, r.r_pod, r.r_uid, r.r_pod_trunc, r.r_pod_candidates, r.r_cl_key, r.r_cl_arn, r.r_oidc,
    r.r_node_inst, r.r_node_role,
    CASE WHEN r.i_kind = 'pi' THEN CASE WHEN r.r_cl_key IS NULL THEN ${conf(d, 'none')} WHEN m.m_n = 1 THEN ${conf(d, 'inferred')} WHEN m.m_n > 1 THEN ${conf(d, 'ambiguous')} ELSE ${conf(d, 'none')} END ELSE r.r_conf_node END AS r_conf_node,
    CASE WHEN r.i_kind = 'pi' THEN CASE WHEN m.m_n = 1 THEN m.m_inst END ELSE r.r_node END AS r_node,
    CASE WHEN r.i_kind = 'pi' AND m.m_n > 1 THEN m.m_all END AS r_candidates,
    concat_ws(${nl}, ${levels.map((i) => `k${i}.i_event`).join(', ')}, m.m_events) AS r_evidence,
    concat_ws(${nl},
      ${levels.map((i) => `k${i}.parent_note`).join(', ')},
      CASE WHEN k${CHAIN_DEPTH}.parent IS NOT NULL THEN 'the chain goes deeper than ${CHAIN_DEPTH} issuing calls: followed to ' || k${CHAIN_DEPTH}.key || ' only' END,
      ${levels.slice(1).map((i) => `CASE WHEN k${i - 1}.parent IS NOT NULL AND k${i}.key IS NULL THEN 'credential loop at ' || k${i - 1}.parent || ': stopped' END`).join(',\n      ')},
      r.r_note,
      CASE WHEN r.i_kind = 'pi' AND r.r_cl_key IS NULL THEN 'the node cannot be matched without the cluster name' END,
      CASE WHEN r.i_kind = 'pi' AND r.r_cl_key IS NOT NULL AND m.m_n IS NULL THEN 'no eks-auth AssumeRoleForPodIdentity by a node of the cluster within 2 s before the AssumeRole: node not established' END
    ) AS r_notes,
    ${chainCols.join(',\n    ')}
  FROM kr k1
  ${walkJoins}
  JOIN kr r ON r.key = ${rootKey}
  LEFT JOIN pim m ON m.m_key = r.key
),
-- Whether an event falls in a window of its key, and fits the session's identity type: inline for a key issued once
-- (nearly all), by this aggregate for the few keys issued more than once (a cross-account call's two copies).
win AS (
  SELECT e.eventid AS w_event, max(${fit('i')}) AS w_fit
  FROM (${events('akey IN (SELECT i_key FROM pref WHERE i_n > 1)')}) e JOIN iss i ON i.i_key = e.akey AND ${inWindow('i')}
  GROUP BY e.eventid
),
linked AS (
  SELECT e.*,
    CASE
      WHEN e.akey IS NOT NULL THEN
        CASE WHEN e.pk_key IS NULL THEN 'own' WHEN e.w_fit = 1 THEN 'key' WHEN e.w_fit = 0 THEN 'conflict' ELSE 'outside' END
      WHEN ie.i_name = 'AssumeRoleWithWebIdentity' THEN 'issued'
      WHEN ie.i_caller_type = 'AWSAccount' AND ri.i_rank = 0 THEN 'copy'
      ELSE 'own'
    END AS link,
    CASE WHEN e.akey IS NULL THEN ie.i_key END AS issued_key
  FROM (
    SELECT e.*, pk.i_key AS pk_key, CASE WHEN pk.i_n > 1 THEN w.w_fit WHEN ${inWindow('pk')} THEN ${fit('pk')} END AS w_fit
    FROM own e
    LEFT JOIN pref pk ON pk.i_key = e.akey
    LEFT JOIN win w ON w.w_event = e.eventid
  ) e
  LEFT JOIN iss ie ON ie.i_event = e.eventid
  LEFT JOIN pref ri ON ri.i_key = ie.i_key
)`;
}

/** Pick a column from the resolution of the event's key or of the key it issued (r), or the event's own identity. */
function pick(resCol: string, ownCol: string): string {
  return `CASE WHEN l.link IN ('key', 'outside') THEN r.${resCol} WHEN l.link IN ('issued', 'copy') THEN r.${resCol} ELSE l.${ownCol} END`;
}

/** A column of the key's resolution, NULL for an event's own identity. */
function fromRes(resCol: string): string {
  return `CASE WHEN l.link IN ('key', 'outside') THEN r.${resCol} WHEN l.link IN ('issued', 'copy') THEN r.${resCol} END`;
}

/** The common table expressions through `attribution` (one row per API event): what the extract builds on. */
export function attributionBody(d: Dialect, o: QueryOptions): string {
  const nl = d.newline;
  const downgrade = (e: string) => `CASE WHEN l.link = 'outside' AND ${e} = ${conf(d, 'proven')} THEN ${conf(d, 'inferred')} ELSE ${e} END`;
  const chain: string[] = [];
  for (let j = 1; j <= CHAIN_LINKS; j++) {
    for (const [f, name] of [['k', 'access_key_id'], ['e', 'issued_by_event_id'], ['n', 'issued_by_event_name'], ['r', 'issued_by_role_arn']] as const) {
      const shifted = `r.rs${j}${f}`;
      const own = j === 1 && f === 'k' ? 'l.akey' : 'NULL';
      chain.push(`CASE WHEN l.link IN ('key', 'outside') THEN r.rc${j}${f} WHEN l.link IN ('issued', 'copy') THEN ${shifted} ELSE ${own} END AS chain_${j}_${name}`);
    }
  }
  return `${attributionCtes(d, o)},
att AS (
  SELECT l.eventid, l.eventtime, l.event_ms, l.eventsource, l.eventname, l.recipientaccountid, l.awsregion, l.sourceipaddress, l.akey AS accesskeyid,
    ${pick('r_mech', 'o_mech')} AS mechanism,
    CASE WHEN l.link IN ('key', 'outside') THEN r.chained1 WHEN l.link = 'issued' THEN r.chained1 WHEN l.link = 'copy' THEN r.chained2 ELSE FALSE END AS chained,
    ${pick('r_principal', 'o_principal')} AS principal,
    ${fromRes('r_cl_key')} AS x_pi_key,
    ${fromRes('r_cl_arn')} AS x_pi_arn,
    ${pick('r_oidc', 'o_oidc')} AS x_oidc,
    ${pick('r_node_inst', 'o_node_inst')} AS x_node_inst,
    ${pick('r_node_role', 'o_node_role')} AS x_node_role,
    ${pick('r_ns', 'o_ns')} AS namespace,
    ${pick('r_sa', 'o_sa')} AS service_account,
    ${fromRes('r_pod')} AS pod_name,
    ${fromRes('r_uid')} AS pod_uid,
    coalesce(${fromRes('r_pod_trunc')}, FALSE) AS pod_name_truncated,
    ${fromRes('r_pod_candidates')} AS pod_candidates,
    ${pick('r_node', 'o_node')} AS node_instance_id,
    ${downgrade(pick('r_conf_id', 'o_conf_id'))} AS confidence_identity,
    ${downgrade(`coalesce(${fromRes('r_conf_pod')}, ${conf(d, 'none')})`)} AS confidence_pod,
    ${downgrade(pick('r_conf_node', 'o_conf_node'))} AS confidence_node,
    ${fromRes('r_candidates')} AS node_candidates,
    ${chain.join(',\n    ')},
    concat_ws(${nl},
      CASE WHEN l.link = 'outside' THEN 'time conflict: the event is outside the validity window of its key ' || l.akey END,
      CASE WHEN l.link = 'conflict' THEN l.akey || ' matches a key the trail shows issued to another kind of session, but this event''s own identity is ' || l.ui_type || ': the key id match is not taken' END,
      ${pick('r_notes', 'o_note')}) AS x_notes,
    ${fromRes('r_evidence')} AS x_evidence,
    l.link
  FROM linked l
  -- One join: an event with a key takes that key's resolution; a key-less issuing call, the key it issued.
  LEFT JOIN res r ON r.key = coalesce(l.akey, l.issued_key)
),
placed AS (
  SELECT a.*, coalesce(a.x_pi_key, nco.n_key, ncr.r_key) AS x_key, nco.n_event, ncr.r_event
  FROM att a
  LEFT JOIN nco ON nco.n_inst = a.x_node_inst
  LEFT JOIN ncr ON ncr.r_role = a.x_node_role
),
attribution AS (
SELECT p.eventid, p.event_ms, p.x_key AS cluster_key, p.x_node_inst AS node_cluster_instance, p.x_node_role AS node_cluster_role,
  p.eventtime, p.eventsource, p.eventname, p.recipientaccountid, p.awsregion, p.sourceipaddress, p.accesskeyid,
  p.mechanism, p.chained, p.principal,
  CASE WHEN p.x_key IS NOT NULL THEN ck.c_name WHEN p.x_oidc IS NOT NULL THEN co.c_name END AS cluster_name,
  CASE WHEN p.x_key IS NOT NULL THEN coalesce(p.x_pi_arn, ck.c_arn) WHEN p.x_oidc IS NOT NULL THEN co.c_arn ELSE p.x_pi_arn END AS cluster_arn,
  CASE WHEN p.x_key IS NOT NULL THEN ck.c_oidc ELSE p.x_oidc END AS cluster_oidc_id,
  CASE WHEN p.x_key IS NOT NULL THEN ck.c_account WHEN p.x_oidc IS NOT NULL THEN co.c_account END AS cluster_account,
  CASE WHEN p.x_key IS NOT NULL THEN ck.c_region WHEN p.x_oidc IS NOT NULL THEN co.c_region END AS cluster_region,
  p.namespace, p.service_account, p.pod_name, p.pod_uid, p.node_instance_id,
  p.pod_name_truncated, p.confidence_identity, p.confidence_pod, p.confidence_node, p.node_candidates, p.pod_candidates,
  ${resultColumns().filter((c) => c.startsWith('chain_')).map((c) => `p.${c}`).join(', ')},
  nullif(concat_ws(${nl}, p.x_notes,
    CASE WHEN p.x_oidc IS NOT NULL AND p.x_key IS NULL AND co.c_key IS NULL THEN 'no record in the trail maps OIDC id ' || p.x_oidc || ' to a cluster (add aws eks describe-cluster output to a case)' END), '') AS notes,
  nullif(concat_ws(${nl}, p.x_evidence, CASE WHEN p.x_key IS NOT NULL AND p.x_pi_key IS NULL THEN coalesce(p.n_event, p.r_event) END,
    CASE WHEN p.x_key IS NULL AND p.x_oidc IS NOT NULL THEN co.c_event END), '') AS evidence,
  p.link
FROM placed p
LEFT JOIN cbk ck ON ck.c_key = p.x_key
LEFT JOIN cbo ON cbo.o_oidc = p.x_oidc
LEFT JOIN cbk co ON co.c_key = cbo.o_key
)`;
}

/** The attribution query: one row per API event, the columns of resultColumns(), ordered by event time then eventID. */
export function attributionQuery(d: Dialect, o: QueryOptions): string {
  return `${attributionBody(d, o)}
SELECT ${resultColumns().join(', ')}
FROM attribution
ORDER BY event_ms, eventid`;
}
