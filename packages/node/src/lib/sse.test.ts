import { describe, expect, it } from 'vitest';
import { SseParser, type ServerSentEvent } from './sse.js';

function parse(chunks: string[]): ServerSentEvent[] {
  const events: ServerSentEvent[] = [];
  const parser = new SseParser((e) => events.push(e));
  for (const chunk of chunks) parser.push(chunk);
  return events;
}

describe('SseParser', () => {
  it('dispatches on a blank line, with id, event and multi-line data; comments and retry are not events', () => {
    expect(parse(['retry: 1000\n\n: heartbeat\n\nid: 7\nevent: revocation\ndata: {"a":1}\n\ndata: x\ndata: y\n\n'])).toEqual([
      { id: '7', event: 'revocation', data: '{"a":1}' },
      { id: '7', event: 'message', data: 'x\ny' },
    ]);
  });

  it('handles CRLF, CR and LF line ends, also split across chunks, and an event split anywhere', () => {
    const stream = 'id: 1\r\nevent: revocation\r\ndata: a\r\n\r\nid: 2\rdata: b\r\rid: 3\ndata: c\n\n';
    const whole = parse([stream]);
    expect(whole.map((e) => [e.id, e.data])).toEqual([
      ['1', 'a'],
      ['2', 'b'],
      ['3', 'c'],
    ]);
    for (let cut = 1; cut < stream.length; cut++) expect(parse([stream.slice(0, cut), stream.slice(cut)])).toEqual(whole);
  });

  it('does not dispatch an event until its blank line arrives', () => {
    expect(parse(['id: 9\ndata: pending\n'])).toEqual([]);
  });
});
