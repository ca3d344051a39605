/**
 * True when some JSON object in `text` names a member twice. RFC 7519 §4 lets a JWT
 * parser either reject duplicate claim names or keep the last; two parsers that choose
 * differently read one signed token two ways (`{"exp":1,"exp":9e9}`), so Latchkey rejects
 * them (RFC 7515 §5.2 step 4 says the same for header parameters). `text` must already
 * be valid JSON: this only walks it.
 */
export function hasDuplicateMembers(text: string): boolean {
  const stack: Array<Set<string> | null> = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top && expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.has(key)) return true;
        top.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === '{') {
      stack.push(new Set());
      expectKey = true;
    } else if (c === '[') {
      stack.push(null);
      expectKey = false;
    } else if (c === '}' || c === ']') {
      stack.pop();
      expectKey = false;
    } else if (c === ',') {
      expectKey = stack[stack.length - 1] instanceof Set;
    }
  }
  return false;
}
