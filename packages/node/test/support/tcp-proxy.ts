import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP proxy the tests can cut and restore, to give a follower a real network
 * outage (connections reset, nothing listening) while the server itself keeps running.
 */
export interface TcpProxy {
  url: string;
  /** Resets every connection and stops listening. */
  cut(): Promise<void>;
  /** Keeps every connection open but forwards nothing more (a hung peer or a partition); `cut` ends it. */
  freeze(): void;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = 0;
  let frozen = false;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = connect(target.port, target.host);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => {});
        }
        client.on('data', (chunk) => void (frozen || upstream.write(chunk)));
        upstream.on('data', (chunk) => void (frozen || client.write(chunk)));
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const address = server!.address();
        port = typeof address === 'object' && address ? address.port : port;
        resolve();
      });
    });
  const cut = async () => {
    frozen = false;
    for (const s of sockets) s.resetAndDestroy();
    sockets.clear();
    const closing = server;
    server = null;
    if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
  };
  await listen();
  const freeze = () => {
    frozen = true;
  };
  return { url: `http://127.0.0.1:${port}`, cut, freeze, restore: listen, close: cut };
}
