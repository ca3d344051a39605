import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';

export interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
  json: any;
}

/**
 * A real HTTP receiver on loopback for webhook deliveries. `respond` decides each
 * answer (default 204); returning null leaves the request hanging until `release()`.
 */
export async function startReceiver(respond: (n: number, delivery: Delivery) => number | null = () => 204) {
  const deliveries: Delivery[] = [];
  const hanging: ServerResponse[] = [];
  let waiters: Array<() => void> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const delivery = { headers: req.headers, body, json: JSON.parse(body) };
      deliveries.push(delivery);
      const status = respond(deliveries.length, delivery);
      if (status === null) hanging.push(res);
      else res.writeHead(status).end();
      const wake = waiters;
      waiters = [];
      for (const w of wake) w();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/hooks/latchkey`,
    deliveries,
    async waitFor(predicate: (d: Delivery[]) => boolean, ms = 10_000): Promise<Delivery[]> {
      const end = Date.now() + ms;
      while (!predicate(deliveries)) {
        const left = end - Date.now();
        if (left <= 0) throw new Error(`webhook deliveries did not arrive (have ${deliveries.length})`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, 200));
          waiters.push(() => (clearTimeout(timer), resolve()));
        });
      }
      return deliveries;
    },
    release() {
      for (const res of hanging.splice(0)) res.writeHead(204).end();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging.splice(0)) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
