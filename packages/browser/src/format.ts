/**
 * A duration as `h:mm:ss` (hours are not capped: 30 days is `720:00:00`); negative is `0:00:00`.
 *
 * @example formatCountdown(5 * 60_000 + 7_000) // "0:05:07"
 */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${Math.floor(total / 3600)}:${pad(Math.floor(total / 60) % 60)}:${pad(total % 60)}`;
}
