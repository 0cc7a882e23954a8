import type { Cluster, Lease } from '@baton/core';

/** Keeps every Lease `cluster` grants from now on (its grantLease wrapped), for tests that look at them. */
export function captureLeases(cluster: Cluster): Lease[] {
  const leases: Lease[] = [];
  const grant = cluster.grantLease.bind(cluster);
  cluster.grantLease = async (options) => {
    const lease = await grant(options);
    leases.push(lease);
    return lease;
  };
  return leases;
}
