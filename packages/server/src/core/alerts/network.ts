/**
 * The network an address belongs to, as a person moves between them: the /24 of an IPv4
 * address, the /64 of an IPv6 one (one home or office each). IPv4-mapped IPv6 addresses
 * count as IPv4.
 */
export function networkOf(ip: string): string {
  const address = ip.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.\d{1,3}$/.exec(address);
  if (v4) return `${v4[1]}.${v4[2]}.${v4[3]}.0/24`;
  if (address.includes(':')) {
    const [head = '', tail] = address.split('%')[0]!.toLowerCase().split('::');
    const left = head ? head.split(':') : [];
    const right = tail ? tail.split(':') : [];
    const groups = tail === undefined ? left : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
    return `${groups
      .slice(0, 4)
      .map((g) => (g || '0').replace(/^0+(?=.)/, ''))
      .join(':')}::/64`;
  }
  return address;
}
