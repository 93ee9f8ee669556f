/**
 * Temporal connection settings, read only from the environment (never from workflow inputs), with the names the
 * `temporal` CLI uses: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS, and the client
 * certificate paths TEMPORAL_TLS_CLIENT_CERT_PATH / TEMPORAL_TLS_CLIENT_KEY_PATH / TEMPORAL_TLS_SERVER_CA_CERT_PATH
 * with TEMPORAL_TLS_SERVER_NAME for a remote (mTLS) cluster.
 */
import fs from 'node:fs';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';

export interface TemporalEnv {
  address: string;
  namespace: string;
  tls?: TLSConfig | boolean;
  apiKey?: string;
}

export function temporalEnv(env: NodeJS.ProcessEnv = process.env): TemporalEnv {
  const address = env.TEMPORAL_ADDRESS || '127.0.0.1:7233';
  const namespace = env.TEMPORAL_NAMESPACE || 'default';
  const certPath = env.TEMPORAL_TLS_CLIENT_CERT_PATH;
  const keyPath = env.TEMPORAL_TLS_CLIENT_KEY_PATH;
  const caPath = env.TEMPORAL_TLS_SERVER_CA_CERT_PATH;
  const read = (p: string, what: string) => {
    try {
      return fs.readFileSync(p);
    } catch (e) {
      throw new Error(`cannot read ${what} ${p}: ${(e as Error).message}`);
    }
  };
  let tls: TLSConfig | boolean | undefined;
  if (certPath || keyPath || caPath || env.TEMPORAL_TLS_SERVER_NAME) {
    if (Boolean(certPath) !== Boolean(keyPath)) throw new Error('set both TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH, or neither');
    tls = {
      serverNameOverride: env.TEMPORAL_TLS_SERVER_NAME || undefined,
      serverRootCACertificate: caPath ? read(caPath, 'TEMPORAL_TLS_SERVER_CA_CERT_PATH') : undefined,
      clientCertPair: certPath && keyPath ? { crt: read(certPath, 'TEMPORAL_TLS_CLIENT_CERT_PATH'), key: read(keyPath, 'TEMPORAL_TLS_CLIENT_KEY_PATH') } : undefined,
    };
  } else if (env.TEMPORAL_TLS === 'true' || env.TEMPORAL_API_KEY) {
    tls = true;
  }
  return { address, namespace, tls, apiKey: env.TEMPORAL_API_KEY || undefined };
}
