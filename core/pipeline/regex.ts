/**
 * Checks the regular expressions of triggers (git branch, docker tag, webhook payload
 * constraints). Spinnaker evaluates them with Java's regex engine, Gennaker with JavaScript's;
 * the two agree on everything real pipelines use, and this names the Java-only constructs
 * (possessive quantifiers, atomic groups, inline flags, POSIX classes such as `\p{Alpha}`,
 * `\A`/`\Z`, `\Q...\E`) with a JavaScript replacement — some of them would otherwise compile in
 * JavaScript and silently mean something else (`\p{Alpha}` matches `p{Alpha}`).
 */

import { regexSyntaxProblem } from '../expressions/regex.ts';

const POSIX_CLASSES: Readonly<Record<string, string>> = {
  Alpha: '[A-Za-z]',
  Digit: '[0-9]',
  Alnum: '[A-Za-z0-9]',
  Upper: '[A-Z]',
  Lower: '[a-z]',
  Space: '\\s',
  XDigit: '[0-9A-Fa-f]',
  Punct: '[!-/:-@[-`{-~]',
  Blank: '[ \\t]',
  Cntrl: '[\\x00-\\x1F\\x7F]',
  Print: '[\\x20-\\x7E]',
  Graph: '[\\x21-\\x7E]',
  ASCII: '[\\x00-\\x7F]',
  javaLowerCase: '[a-z]',
  javaUpperCase: '[A-Z]',
};

/** A Java-only construct in the pattern: what it is and the JavaScript way to write it. */
function javaOnlyConstruct(pattern: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next === 'p' || next === 'P') {
        const name = /^\{(\^?)([A-Za-z_]+)\}/.exec(pattern.slice(i + 2));
        const written = name ? `\\${next}{${name[1]}${name[2]}}` : `\\${next}`;
        const replacement = name ? POSIX_CLASSES[name[2] as string] : undefined;
        return `uses ${written}, a Java character class JavaScript does not have; ${
          replacement && next === 'p' && name?.[1] === '' ? `write ${replacement} instead` : 'write an explicit character class such as [A-Za-z] instead'
        }`;
      }
      if (!inClass && (next === 'A' || next === 'Z' || next === 'z')) {
        return `uses \\${next}, Java's ${next === 'A' ? 'start' : 'end'} of input anchor; write ${next === 'A' ? '^' : '$'} instead`;
      }
      if (next === 'Q') return 'uses \\Q...\\E quoting, which JavaScript does not have; escape each special character with \\ instead';
      if (next === 'h' || next === 'H') return `uses \\${next}, Java's horizontal whitespace class; write ${next === 'h' ? '[ \\t]' : '[^ \\t]'} instead`;
      if (next === 'R') return 'uses \\R, Java\'s line break matcher; write (?:\\r\\n|\\n|\\r) instead';
      if (next === 'G' || next === 'X' || next === 'K') return `uses \\${next}, which JavaScript does not have; rewrite the pattern without it`;
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      // A ']' right after '[' or '[^' is a literal in both engines.
      if (pattern[i + 1] === '^') i++;
      if (pattern[i + 1] === ']') i++;
      continue;
    }
    if (c === '(' && pattern.startsWith('(?>', i)) return "uses an atomic group '(?>...)', which JavaScript does not have; write a plain group '(?:...)' instead";
    if (c === '(') {
      const flags = /^\(\?([a-zA-Z]*(?:-[a-zA-Z]+)?)[:)]/.exec(pattern.slice(i));
      if (flags && flags[1] !== '') {
        return `uses the inline flags '${flags[0]}', which JavaScript does not support; remove them (for case-insensitive matching write classes such as [Mm]ain)`;
      }
    }
    if ((c === '*' || c === '+' || c === '?') && pattern[i + 1] === '+' && !(c === '?' && isGroupStart(pattern, i))) {
      return `uses the possessive quantifier '${c}+', which JavaScript does not have; drop the extra '+'`;
    }
    if (c === '}' && pattern[i + 1] === '+' && /\{\d+(,\d*)?$/.test(pattern.slice(0, i))) {
      return "uses a possessive quantifier '{n}+', which JavaScript does not have; drop the '+'";
    }
  }
  return undefined;
}

function isGroupStart(pattern: string, questionMark: number): boolean {
  return pattern[questionMark - 1] === '(' && pattern[questionMark - 2] !== '\\';
}

/**
 * Undefined when the pattern is a valid JavaScript regular expression free of Java-only
 * syntax; otherwise the problem and its fix, e.g. `is not a valid regular expression
 * (Unterminated group); fix the pattern`.
 */
export function regexProblem(pattern: string): string | undefined {
  const javaOnly = javaOnlyConstruct(pattern);
  if (javaOnly !== undefined) return javaOnly;
  try {
    new RegExp(pattern);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    const reason = text.slice(text.lastIndexOf(': ') + 2) || text;
    return `is not a valid regular expression (${reason}); fix the pattern`;
  }
  // Triggers match on the linear-time engine (core/triggers/match.ts), which refuses what needs
  // backtracking; say so at save rather than never matching at run time.
  const linear = regexSyntaxProblem(pattern);
  if (linear === undefined) return undefined;
  return `${linear.slice(linear.lastIndexOf("': ") + 3)}; trigger patterns run on a linear-time engine, so rewrite the pattern without them`;
}
