import { connect, type Socket } from 'node:net';
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../support/server.js';

function openSocket(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('shutting down', () => {
  it('closes at once with a connection open that never sent a request (a preconnect)', async () => {
    const server = await startTestServer();
    const socket = await openSocket(server.url);
    const closedByServer = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const started = Date.now();
    await server.close();
    await closedByServer;
    // Node's own idle-connection sweep leaves such a socket until the headers timeout (60 s).
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('lets a request in flight finish, then closes its connection', async () => {
    const server = await startTestServer();
    const { hostname, port } = new URL(server.url);
    // A request whose body is still arriving when the shutdown begins.
    const answer = new Promise<{ status: number }>((resolve, reject) => {
      const req = request(
        { host: hostname, port, method: 'POST', path: '/auth/login', headers: { 'content-type': 'application/json' } },
        (res) => {
          res.resume();
          res.once('end', () => resolve({ status: res.statusCode ?? 0 }));
        },
      );
      req.once('error', reject);
      req.write('{"email":"nobody@example.com",');
      setTimeout(() => req.end('"password":"not the right one"}'), 300);
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closing = server.close();
    expect((await answer).status).toBe(401);
    await closing;
  });
});
