// What Node's HTTP client can send: a check's URL, header names and values, checked at start.
// Messages never quote a URL or a header value: either may hold a secret.

/** RFC 9110 token characters, which Node requires of a header name. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

const codeOf = (char: string): number => char.codePointAt(0) ?? 0;
/** C0 controls, DEL and C1 controls. */
const isControl = (code: number): boolean => code < 0x20 || (code >= 0x7f && code <= 0x9f);
/** What Node refuses in a header value: controls other than tab, and anything beyond Latin-1. */
const refusedInHeader = (char: string): boolean => {
  const code = codeOf(char);
  return (code < 0x20 && char !== "\t") || code === 0x7f || code > 0xff;
};
const refusedInUrl = (char: string): boolean => /\s/u.test(char) || isControl(codeOf(char));
const firstOf = (text: string, refused: (char: string) => boolean): string | undefined =>
  [...text].find(refused);

const codePoint = (char: string): string =>
  `U+${codeOf(char).toString(16).toUpperCase().padStart(4, "0")}`;

/** A refused character in words: "a space", "a line break (CR or LF)", "a tab", ... */
function describeCharacter(char: string): string {
  if (char === " ") return "a space";
  if (char === "\r" || char === "\n") return "a line break (CR or LF)";
  if (char === "\t") return "a tab";
  return isControl(codeOf(char))
    ? `a control character (${codePoint(char)})`
    : `a space character (${codePoint(char)})`;
}

/**
 * Why `url` cannot be requested, or undefined: it must hold no space or control character (the
 * URL parser would encode the one and drop the others without a word) and parse as an absolute
 * http(s) URL.
 */
export function urlProblem(url: string): string | undefined {
  const refused = firstOf(url, refusedInUrl);
  if (refused !== undefined) {
    const hint = refused === " " ? "; write it as %20" : "";
    return `the URL contains ${describeCharacter(refused)}${hint}`;
  }
  if (!/^https?:\/\/[^/]/.test(url)) return "expected an http:// or https:// URL";
  if (!URL.canParse(url))
    return "expected an absolute http:// or https:// URL; this one does not parse";
  return undefined;
}

/** Why `name` cannot name a header, or undefined. */
export function headerNameProblem(name: string): string | undefined {
  if (HEADER_NAME.test(name)) return undefined;
  return (
    `header name ${JSON.stringify(name)} is not an HTTP header name: ` +
    "use letters, digits and !#$%&'*+-.^_`|~ only"
  );
}

/** Why `value` cannot be a header value (a line break would end the header), or undefined. */
export function headerValueProblem(value: string): string | undefined {
  const refused = firstOf(value, refusedInHeader);
  if (refused === undefined) return undefined;
  if (codeOf(refused) > 0xff)
    return `the value contains ${codePoint(refused)}, beyond the Latin-1 a header can carry`;
  return `the value contains ${describeCharacter(refused)}`;
}
