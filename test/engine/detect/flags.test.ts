import { describe, expect, it } from 'vitest';
import { isIp, isPrivateIp, isSdkSessionName } from '../../../electron/engine/detect/flags';

describe('detection helpers', () => {
  it('knows the AWS SDKs\' default web-identity session names', () => {
    for (const n of ['botocore-session-1675698641', 'aws-sdk-java-1772412532857', 'aws-sdk-js-session-1772412643303', 'aws-go-sdk-1772412874256894']) {
      expect(isSdkSessionName(n)).toBe(true);
    }
    for (const n of ['x', 'hacked', 'christophe', 'botocore-session-', 'eks-prod-web-1234']) expect(isSdkSessionName(n)).toBe(false);
  });

  it('tells private (VPC) addresses from public ones', () => {
    for (const ip of ['10.0.1.2', '172.16.0.1', '172.31.255.255', '192.168.1.1', 'fd00:ec2::23']) expect(isPrivateIp(ip)).toBe(true);
    for (const ip of ['172.32.0.1', '54.24.225.213', '44.219.101.145']) expect(isPrivateIp(ip)).toBe(false);
    expect(isIp('pods.eks.amazonaws.com')).toBe(false);
    expect(isIp('AWS Internal')).toBe(false);
  });
});
