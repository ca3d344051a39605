// The floor under every HTTP benchmark here: node:http answering each POST with a fixed
// JSON body about the size of a refresh response, with no framework, no logging, no
// storage and no signature. No server written in Node can answer a request for less.
import { createServer } from 'node:http';

const body = JSON.stringify({
  access_token: 'x'.repeat(560),
  refresh_token: `lkrt_${'y'.repeat(43)}`,
  token_type: 'Bearer',
  expires_in: 900,
  session: { id: 'z'.repeat(36), type: 'standard', createdAt: new Date().toISOString() },
});

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT), '127.0.0.1');
