/**
 * Reads a sed script far enough to tell whether it writes a file (`w`, `W`, the `w` flag of `s`) or runs a command
 * (`e`, the `e` flag of `s`). Anything it does not recognise is reported too, so the caller fails closed.
 * Returns null for a script that only reads and prints.
 */
export function sedScriptProblem(script: string): string | null {
  let i = 0;
  const n = script.length;
  const skipBlank = () => {
    while (i < n && /[\s;]/.test(script[i]!)) i++;
  };
  const toLineEnd = () => {
    while (i < n && script[i] !== '\n') i++;
  };
  const toCommandEnd = () => {
    while (i < n && script[i] !== '\n' && script[i] !== ';' && script[i] !== '}') i++;
  };
  /** Reads up to the unescaped delimiter; false when the script ends first. */
  const delimited = (delim: string): boolean => {
    while (i < n && script[i] !== delim) {
      if (script[i] === '\\') i++;
      if (script[i] === '\n' && delim !== '\n') return false;
      i++;
    }
    if (i >= n) return false;
    i++;
    return true;
  };
  const address = (): boolean => {
    const c = script[i];
    if (c === '/') {
      i++;
      return delimited('/') && skipRegexFlags();
    }
    if (c === '\\') {
      const d = script[i + 1];
      i += 2;
      return d !== undefined && delimited(d) && skipRegexFlags();
    }
    if (c === '$') {
      i++;
      return true;
    }
    const m = /^[+~]?\d+(?:~\d+)?/.exec(script.slice(i));
    if (m) i += m[0].length;
    return true;
  };
  const skipRegexFlags = (): boolean => {
    while (i < n && /[IM]/.test(script[i]!)) i++;
    return true;
  };

  while (true) {
    skipBlank();
    if (i >= n) return null;
    if (!address()) return 'an address of the sed script never ends';
    if (script[i] === ',') {
      i++;
      if (!address()) return 'an address of the sed script never ends';
    }
    while (i < n && /[ \t!]/.test(script[i]!)) i++;
    const cmd = script[i];
    if (cmd === undefined) return null;
    i++;
    switch (cmd) {
      case '{':
      case '}':
        continue;
      case '#':
      case ':':
      case 'a':
      case 'i':
      case 'c':
        // Text and labels run to the end of the line; a trailing backslash carries the text on.
        while (i < n && script[i] !== '\n') i += script[i] === '\\' ? 2 : 1;
        continue;
      case 'b':
      case 't':
      case 'T':
      case 'r':
      case 'R':
      case 'v':
      case 'q':
      case 'Q':
      case 'l':
      case 'L':
        toCommandEnd();
        continue;
      case 'p':
      case 'P':
      case 'd':
      case 'D':
      case 'n':
      case 'N':
      case 'g':
      case 'G':
      case 'h':
      case 'H':
      case 'x':
      case 'z':
      case 'F':
      case '=':
        continue;
      case 'w':
      case 'W':
        return `the sed command ${cmd} writes to a file`;
      case 'e':
        return 'the sed command e runs a shell command';
      case 's': {
        const delim = script[i];
        if (delim === undefined || delim === '\n' || delim === '\\')
          return 'an s command of the sed script is cut short';
        i++;
        if (!delimited(delim) || !delimited(delim)) return 'an s command of the sed script never ends';
        while (i < n && /[gpiImM0-9ew]/.test(script[i]!)) {
          const flag = script[i]!;
          if (flag === 'w') return 'the w flag of the sed s command writes to a file';
          if (flag === 'e') return 'the e flag of the sed s command runs a shell command';
          i++;
        }
        continue;
      }
      case 'y': {
        const delim = script[i];
        if (delim === undefined || delim === '\n' || delim === '\\')
          return 'a y command of the sed script is cut short';
        i++;
        if (!delimited(delim) || !delimited(delim)) return 'a y command of the sed script never ends';
        continue;
      }
      default:
        toLineEnd();
        return `the sed command "${cmd}" is not one deckhand knows`;
    }
  }
}
