/**
 * A frozen S3 server (SIGSTOPped, or a half-dead proxy) accepts TCP connections and never answers. Without an idle
 * limit the SDK waits forever and the run hangs with a live heartbeat; with one, the operation fails as a
 * TransientError naming the timeout, which the store's outage policy then retries and bounds.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransientError } from '../../../lib/errors';
import { S3Store, s3OptionsFromEnv } from '../../../lib/store/s3-store';

let silent: net.Server;
let stalls: net.Server;
const sockets = new Set<net.Socket>();

/** A server that reads the request and never writes a byte. */
function listenSilent(): Promise<net.Server> {
  const s = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('data', () => {});
  });
  return new Promise((r) => s.listen(0, '127.0.0.1', () => r(s)));
}

/** A server that answers a GET with headers and half the body, then freezes. */
function listenStalling(): Promise<net.Server> {
  const s = net.createServer((sock) => {
    sockets.add(sock);
    sock.once('data', () => {
      sock.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nContent-Type: application/octet-stream\r\nx-amz-meta-sha256: 00\r\n\r\n');
      sock.write(Buffer.alloc(500));
    });
  });
  return new Promise((r) => s.listen(0, '127.0.0.1', () => r(s)));
}

const endpoint = (s: net.Server) => `http://127.0.0.1:${(s.address() as net.AddressInfo).port}`;
const store = (s: net.Server) => new S3Store({ bucket: 'b', prefix: 'p', endpoint: endpoint(s), region: 'us-east-1', maxAttempts: 1, idleTimeoutS: 1 });

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
  [silent, stalls] = await Promise.all([listenSilent(), listenStalling()]);
});

afterAll(() => {
  for (const s of sockets) s.destroy();
  silent?.close();
  stalls?.close();
});

describe('S3Store against a server that stops answering', () => {
  it('fails a request the server never answers as a TransientError naming the timeout, instead of hanging', async () => {
    const t0 = Date.now();
    const err = await store(silent).stat('a/b.json').then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).message).toMatch(/stat a\/b\.json .*timed out/);
    expect(Date.now() - t0).toBeLessThan(20_000);
  });

  it('fails a download whose body stops mid-way', async () => {
    const err = await store(stalls).get('a/b.bin').then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).toMatch(/timed out|aborted|socket/i);
  });

  it('takes the idle limit from FSFM_S3_IDLE_TIMEOUT_S, 60 s by default', () => {
    expect(s3OptionsFromEnv('b', 'p', {}).idleTimeoutS).toBe(60);
    expect(s3OptionsFromEnv('b', 'p', { FSFM_S3_IDLE_TIMEOUT_S: '5' }).idleTimeoutS).toBe(5);
  });
});
