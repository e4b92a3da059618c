/** IP address tests for source addresses in CloudTrail records (which may also hold service names). */

/** Private, loopback and link-local IPv4, IPv6 ULA/link-local: traffic that stayed inside a VPC. */
export function isPrivateIp(ip: string): boolean {
  if (/^10\.|^192\.168\.|^127\.|^169\.254\./.test(ip)) return true;
  const m = /^172\.(\d+)\./.exec(ip);
  if (m && Number(m[1]) >= 16 && Number(m[1]) <= 31) return true;
  return /^f[cd][0-9a-f]{2}:|^fe80:/i.test(ip);
}

export function isIp(s: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(s) || (s.includes(':') && /^[0-9a-f:.]+$/i.test(s));
}
