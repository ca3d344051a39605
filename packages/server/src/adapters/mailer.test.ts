import { describe, expect, it } from 'vitest';
import { createLogMailer } from './mailer.js';

function collectingLogger() {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg?: string }> = [];
  const at = (level: string) => (obj: Record<string, unknown>, msg?: string) => void lines.push({ level, obj, msg });
  return { lines, logger: { info: at('info'), warn: at('warn'), error: at('error') } };
}

const message = { to: 'a@example.com', subject: 'Reset', text: 'link: http://x/reset-password#token=lkpr_secret' };

describe('the log mailer (no LATCHKEY_SMTP_URL)', () => {
  it('writes the whole message, link included, in development', async () => {
    const { lines, logger } = collectingLogger();
    await createLogMailer(logger, false).send(message);
    expect(lines).toHaveLength(1);
    expect(JSON.stringify(lines[0])).toContain('lkpr_secret');
  });

  it('never writes the text (and so the secret) in production', async () => {
    const { lines, logger } = collectingLogger();
    await createLogMailer(logger, true).send(message);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe('warn');
    expect(JSON.stringify(lines)).not.toContain('lkpr_secret');
    expect(lines[0]!.obj).toEqual({ mail: { to: 'a@example.com', subject: 'Reset' } });
  });
});
